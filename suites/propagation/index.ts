import { suite } from '../../harness/runner/check.ts';
import revocation from './revocation.ts';

export default suite('propagation', 'Revocation propagation to resource servers', [revocation]);
