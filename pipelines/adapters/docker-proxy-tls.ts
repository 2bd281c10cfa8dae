/**
 * TLS for the Docker API proxy: server options from PEM files and the identity
 * of a verified client certificate for the audit event.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import type * as net from 'net';
import type * as tls from 'tls';
import { DockguardError } from '../../detectors/errors';
import type { ProxyTlsConfig } from '../collectors/collector-config';

export interface ClientCertificate {
  subject: string;
  issuer: string;
  /** SHA-256 of the DER certificate, lowercase hex (ECS tls.client.hash.sha256). */
  fingerprintSha256: string;
}

export function tlsServerOptions(cfg: ProxyTlsConfig): tls.TlsOptions {
  const read = (what: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new DockguardError({
        stage: 'config',
        code: 'IO_READ',
        message: `collector.proxy.tls.${what}: cannot read ${file}: ${(e as Error).message}`,
        cause: e,
      });
    }
  };
  return {
    cert: read('cert', cfg.cert),
    key: read('key', cfg.key),
    ...(cfg.ca ? { ca: read('ca', cfg.ca) } : {}),
    // Ask for a certificate whenever a CA is configured, so that an optional one is
    // still recorded; only a verified one is trusted (see clientCertificate).
    requestCert: cfg.requireClientCert || cfg.ca !== null,
    rejectUnauthorized: cfg.requireClientCert,
    // Without it an upgraded (attach/exec) stream ends when the client half-closes
    // stdin, and the output that follows is lost (FACTS.md, proxy traps).
    allowHalfOpen: true,
    minVersion: 'TLSv1.2',
  };
}

/** The verified peer certificate of a TLS socket, or null (plain TCP, none sent, or not verified). */
export function clientCertificate(socket: net.Socket): ClientCertificate | null {
  const s = socket as tls.TLSSocket;
  if (typeof s.getPeerX509Certificate !== 'function' || !s.authorized) return null;
  const x509 = s.getPeerX509Certificate();
  if (!x509) return null;
  return {
    subject: distinguishedName(x509.subject),
    issuer: distinguishedName(x509.issuer),
    fingerprintSha256: createHash('sha256').update(x509.raw).digest('hex'),
  };
}

/** Node prints one `K=V` per line; ECS writes them comma-separated. */
function distinguishedName(multiline: string): string {
  return multiline
    .split('\n')
    .filter((l) => l.length > 0)
    .join(', ');
}
