import { suite } from '../../harness/runner/check.ts';
import bearerJtiReplay from './bearer-jti-replay.ts';
import dpopAthBinding from './dpop-ath-binding.ts';
import dpopDowngrade from './dpop-downgrade.ts';
import dpopHtmHtu from './dpop-htm-htu.ts';
import dpopIatWindow from './dpop-iat-window.ts';
import dpopJtiReplay from './dpop-jti-replay.ts';
import dpopNonce from './dpop-nonce.ts';
import dpopProofForm from './dpop-proof-form.ts';
import dpopValid from './dpop-valid.ts';

export default suite('replay', 'Replay: DPoP proofs (RFC 9449) and single-use tokens', [
  dpopValid,
  dpopJtiReplay,
  dpopHtmHtu,
  dpopIatWindow,
  dpopAthBinding,
  dpopProofForm,
  dpopDowngrade,
  dpopNonce,
  bearerJtiReplay,
]);
