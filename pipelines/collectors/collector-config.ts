/**
 * The `collector` configuration section, shared by both collector modes. Settings
 * common to every mode sit at the top level; each mode has its own sub-section
 * (`proxy` here, `authz` for the authorization plugin), so that adding a mode
 * never touches another mode's settings.
 *
 * ```yaml
 * collector:
 *   id: edge-1
 *   hostName: docker-prod-1
 *   mode: proxy
 *   redactionKeyFile: /etc/dockguard/redaction.key
 *   proxy:
 *     listen: { host: 0.0.0.0, port: 2376 }
 *     tls: { cert: server.pem, key: server-key.pem, ca: ca.pem, requireClientCert: true }
 *     allowClients: [10.0.0.0/8]
 *     upstreamSocket: /var/run/docker.sock
 *   authz:                       # mode: authz (dockerd --authorization-plugin=dockguard)
 *     socket: /run/dockguard/authz.sock
 *     pluginName: dockguard
 * ```
 */
import * as os from 'os';
import { parseCidr } from '../../detectors/sigma/cidr';
import { DockguardError } from '../../detectors/errors';
import { defineSection, readSection, type RawConfig } from '../config/config';

export interface ProxyTlsConfig {
  /** PEM files. */
  cert: string;
  key: string;
  /** CA bundle that signs client certificates; required with requireClientCert. */
  ca: string | null;
  requireClientCert: boolean;
}

export interface ProxyConfig {
  listen: { host: string; port: number };
  /** Null: plain HTTP (only sensible on loopback; a loud warning otherwise). */
  tls: ProxyTlsConfig | null;
  /** Client networks allowed to call (CIDR). Empty: every client. */
  allowClients: string[];
  /** dockerd's unix socket. */
  upstreamSocket: string;
  /** Request body bytes kept for the event and the policy; beyond it `bodyComplete` is false. */
  maxCapturedBodyBytes: number;
  /** Seconds in-flight calls get to finish on SIGTERM before their sockets are closed (streams such as `docker events` never end by themselves). */
  shutdownGraceSeconds: number;
}

export interface AuthzConfig {
  /** Unix socket the plugin listens on (mode 0600: only dockerd, as root, talks to it). */
  socket: string;
  /** The name in dockerd's `--authorization-plugin=<name>`; the spec file is `<specDir>/<name>.spec`. */
  pluginName: string;
  /** Where the spec file is written at start; null: none (e.g. the socket is /run/docker/plugins/<name>.sock). */
  specDir: string | null;
  /** Allowed calls whose response phase does not come (attach, wait, a later plugin's deny) are published after this. */
  pendingTimeoutSeconds: number;
  /** Bound on calls waiting for their response phase; beyond it the oldest is published early. */
  maxPending: number;
}

export interface CollectorConfig {
  /** Identifies this collector instance in every event. */
  id: string;
  /** The Docker host (daemon) name recorded in events. */
  hostName: string;
  mode: 'proxy' | 'authz';
  /** File with at least 16 bytes of secret key for keyed hashes of redacted values; null: a random key per process. */
  redactionKeyFile: string | null;
  /** Without a `kafka` section: where events go as JSON Lines (`-` for stdout). */
  jsonlOutput: string;
  proxy: ProxyConfig;
  authz: AuthzConfig;
}

const proxySchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    listen: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 2375 },
      },
    },
    tls: {
      type: ['object', 'null'],
      additionalProperties: false,
      default: null,
      required: ['cert', 'key'],
      properties: {
        cert: { type: 'string', minLength: 1 },
        key: { type: 'string', minLength: 1 },
        ca: { type: ['string', 'null'], default: null },
        requireClientCert: { type: 'boolean', default: true },
      },
    },
    allowClients: { type: 'array', items: { type: 'string' }, default: [] },
    upstreamSocket: { type: 'string', minLength: 1, default: '/var/run/docker.sock' },
    maxCapturedBodyBytes: { type: 'integer', minimum: 1024, default: 16 * 1024 * 1024 },
    shutdownGraceSeconds: { type: 'number', minimum: 0, default: 20 },
  },
};

const authzSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    socket: { type: 'string', minLength: 1, maxLength: 100, default: '/run/dockguard/authz.sock' },
    pluginName: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', default: 'dockguard' },
    specDir: { type: ['string', 'null'], default: '/etc/docker/plugins' },
    pendingTimeoutSeconds: { type: 'number', exclusiveMinimum: 0, default: 60 },
    maxPending: { type: 'integer', minimum: 1, default: 10000 },
  },
};

export const COLLECTOR_SECTION = defineSection<CollectorConfig>('collector', {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1, default: os.hostname() },
    hostName: { type: 'string', minLength: 1, default: os.hostname() },
    mode: { enum: ['proxy', 'authz'], default: 'proxy' },
    redactionKeyFile: { type: ['string', 'null'], default: null },
    jsonlOutput: { type: 'string', minLength: 1, default: '-' },
    proxy: proxySchema,
    authz: authzSchema,
  },
});

/** Reads and validates the section, including what a JSON schema cannot say (CIDRs, TLS pairs). */
export function readCollectorConfig(raw: RawConfig): CollectorConfig {
  const cfg = readSection(raw, COLLECTOR_SECTION);
  const bad = (where: string, message: string): DockguardError =>
    new DockguardError({
      stage: 'config',
      code: 'CONFIG_INVALID',
      message: `${raw.file ?? 'configuration'} (collector.${where}): ${message}`,
    });
  for (const [i, c] of cfg.proxy.allowClients.entries()) {
    if (!parseCidr(c.includes('/') ? c : c.includes(':') ? `${c}/128` : `${c}/32`))
      throw bad(`proxy.allowClients[${i}]`, `"${c}" is not an address or CIDR network (e.g. 10.0.0.0/8)`);
  }
  const tls = cfg.proxy.tls;
  if (tls && tls.requireClientCert && !tls.ca)
    throw bad('proxy.tls.ca', 'requireClientCert needs the CA bundle that signs client certificates');
  return cfg;
}
