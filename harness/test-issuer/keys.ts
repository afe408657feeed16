/**
 * The test issuer's keys. Published keys are the ones the resource server under test trusts;
 * removed keys stay known to the forger (a token signed by one must be refused once the RS's
 * cache has passed); untrusted keys are never published (signature checks); the attacker key
 * is published only by the fetch listener, the way an attacker would host it.
 */
import { type KeyObject, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { generate as generateCertificate } from 'selfsigned';
import { generateKeyPairFor } from '../oauth/algorithms.ts';

/** The algorithms a test key can sign with by default (its kty decides the rest). */
export type TestKeyAlg = 'RS256' | 'ES256' | 'EdDSA';

export interface TestKey {
  kid: string;
  /** The JWS algorithm the forger signs with when it uses this key. */
  alg: TestKeyAlg;
  use: 'sig' | 'enc';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK exactly as it is (or would be) published. */
  publicJwk: JWK;
}

export interface AttackerKey extends TestKey {
  /** A self-signed certificate for the key (x5u answer). */
  certificatePem: string;
  /** The same certificate as standard base64 DER, the form `x5c` carries. */
  certificateBase64Der: string;
}

export interface AddKeyOptions {
  alg: TestKeyAlg;
  /** 'enc' publishes an encryption key (S13: a kid resolving to it must not verify tokens). */
  use?: 'sig' | 'enc';
  /** Publishes the key with this `alg` member instead of its real one (a kty wrong for the alg). */
  advertisedAlg?: string;
  kid?: string;
}

// A random suffix: a resource server that outlives one harness run must never find an old kid
// naming a new key.
function newKid(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export async function createTestKey(options: AddKeyOptions): Promise<TestKey> {
  const use = options.use ?? 'sig';
  const { privateKey, publicKey } = await generateKeyPairFor(options.alg);
  const kid = options.kid ?? newKid(use === 'enc' ? 'enc' : options.alg.toLowerCase());
  const advertised = options.advertisedAlg ?? (use === 'enc' ? encryptionAlgFor(options.alg) : options.alg);
  const publicJwk: JWK = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, use, alg: advertised };
  return { kid, alg: options.alg, use, privateKey, publicKey, publicJwk };
}

function encryptionAlgFor(alg: TestKeyAlg): string {
  if (alg === 'RS256') return 'RSA-OAEP-256';
  if (alg === 'ES256') return 'ECDH-ES';
  throw new Error('an Ed25519 key cannot be an encryption key');
}

export async function createAttackerKey(): Promise<AttackerKey> {
  const key = await createTestKey({ alg: 'RS256', kid: newKid('attacker') });
  const pems = await generateCertificate([{ name: 'commonName', value: 'tokenproof attacker' }], {
    algorithm: 'sha256',
    keyType: 'rsa',
    keyPair: {
      privateKey: key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      publicKey: key.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    },
  });
  const certificateBase64Der = pems.cert.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
  return { ...key, certificatePem: pems.cert, certificateBase64Der };
}

/** The keys the test issuer publishes, plus the ones it once published or never will. */
export class KeyRing {
  private readonly published = new Map<string, TestKey>();
  private readonly removed = new Map<string, TestKey>();
  private readonly untrusted = new Map<TestKeyAlg, Promise<TestKey>>();

  static async create(algs: readonly TestKeyAlg[]): Promise<KeyRing> {
    const ring = new KeyRing();
    for (const alg of algs) await ring.add({ alg });
    return ring;
  }

  /** Generates and publishes a key. */
  async add(options: AddKeyOptions): Promise<TestKey> {
    const key = await createTestKey(options);
    if (this.published.has(key.kid) || this.removed.has(key.kid)) throw new Error(`kid ${key.kid} is already in use`);
    this.published.set(key.kid, key);
    return key;
  }

  /** Publishes a new signing key for `alg`; it becomes the one `current(alg)` returns. The old one stays published. */
  rotate(alg: TestKeyAlg): Promise<TestKey> {
    return this.add({ alg });
  }

  /** Unpublishes a key; the forger can still sign with it. */
  remove(kid: string): TestKey {
    const key = this.published.get(kid);
    if (!key) throw new Error(`no published key with kid ${kid}`);
    this.published.delete(kid);
    this.removed.set(kid, key);
    return key;
  }

  /** The newest published signing key for `alg`. */
  current(alg: TestKeyAlg): TestKey {
    const key = this.maybeCurrent(alg);
    if (!key) throw new Error(`the test issuer publishes no ${alg} signing key`);
    return key;
  }

  maybeCurrent(alg: TestKeyAlg): TestKey | undefined {
    return this.publishedKeys()
      .filter((key) => key.alg === alg && key.use === 'sig' && key.publicJwk.alg === alg)
      .at(-1);
  }

  /** A published or removed key by kid. */
  find(kid: string): TestKey | undefined {
    return this.published.get(kid) ?? this.removed.get(kid);
  }

  isPublished(kid: string): boolean {
    return this.published.has(kid);
  }

  publishedKeys(): TestKey[] {
    return [...this.published.values()];
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.publishedKeys().map((key) => key.publicJwk) };
  }

  /** A key that is never published (one per alg, generated on first use). */
  untrustedKey(alg: TestKeyAlg): Promise<TestKey> {
    let key = this.untrusted.get(alg);
    if (!key) {
      key = createTestKey({ alg, kid: newKid('untrusted') });
      this.untrusted.set(alg, key);
    }
    return key;
  }
}
