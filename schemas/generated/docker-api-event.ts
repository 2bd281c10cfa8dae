// Generated from schemas/avro/docker-api-event.avsc by schemas/avro-to-ts.ts (npm run schemas:types). Do not edit.

export type Outcome = 'success' | 'failure' | 'unknown';

export interface EventMeta {
  /** Unique id of this API call (UUID). */
  id: string;
  /** Endpoint template as an action name, e.g. container-create. */
  action: string;
  outcome: Outcome;
}

export type CollectorMode = 'authz' | 'proxy';

export interface Collector {
  id: string;
  mode: CollectorMode;
}

export interface Host {
  /** The Docker host (daemon) the call was made to. */
  name: string;
}

/** The caller's address; unknown in authorization-plugin mode (dockerd does not pass it). */
export interface Source {
  ip: null | string;
  port: null | number;
}

export interface TlsClient {
  subject: null | string;
  issuer: null | string;
  /** Fingerprint of the client certificate. */
  hash_sha256: null | string;
}

export interface Tls {
  client: TlsClient;
}

export interface User {
  /** The authenticated user as the authorization plugin reports it. */
  name: null | string;
}

export interface UserAgent {
  original: null | string;
}

export interface HttpBody {
  bytes: number;
}

export interface HttpRequest {
  method: string;
  body: HttpBody;
}

export interface HttpResponse {
  status_code: null | number;
}

export interface Http {
  request: HttpRequest;
  response: HttpResponse;
}

export interface Url {
  /** The request URI as the client sent it. */
  original: string;
  /** Normalised path, API version removed. */
  path: string;
  query: null | string;
}

export interface ContainerImage {
  name: null | string;
}

export interface Container {
  /** Container the call acts on, or created. */
  id: null | string;
  name: null | string;
  image: ContainerImage;
}

/** The command of a container create or exec: Entrypoint followed by Cmd. */
export interface Process {
  args: Array<string>;
  command_line: null | string;
}

export interface DockerRequest {
  /** The decoded JSON body, canonical JSON text, secrets redacted. */
  body: null | string;
  /** False when the collector did not see the whole body (authz plugin: 1 MiB and more). */
  body_complete: boolean;
}

export interface Decision {
  allowed: boolean;
  rule: null | string;
  reason: null | string;
}

export interface Mount {
  type: string;
  source: null | string;
  target: string;
  read_only: boolean;
}

/** Typed parameters of container create and update. */
export interface ContainerParams {
  entrypoint: Array<string>;
  cmd: Array<string>;
  binds: Array<string>;
  mounts: Array<Mount>;
  privileged: boolean;
  cap_add: Array<string>;
  devices: Array<string>;
  pid_mode: null | string;
  ipc_mode: null | string;
  network_mode: null | string;
  userns_mode: null | string;
  security_opt: Array<string>;
  user: null | string;
  /** Names only: values never leave the host. */
  env_names: Array<string>;
  restart_policy: null | string;
}

export interface Dockguard {
  /** Endpoint template of the Docker Engine API, e.g. /containers/{id}/start. */
  endpoint: string;
  api_version: null | string;
  request: DockerRequest;
  decision: Decision;
  container: null | ContainerParams;
}

/** One Docker Engine API call as a collector saw it. Field names follow ECS where ECS has one (so the same names serve Sigma rules and Elasticsearch); dockguard-specific fields live under `dockguard`. Nested records become nested objects in JSON. */
export interface DockerApiEvent {
  /** Event time: when the collector received the request, epoch milliseconds (@timestamp in Elasticsearch). */
  timestamp: number;
  event: EventMeta;
  collector: Collector;
  host: Host;
  source: Source;
  tls: null | Tls;
  user: User;
  user_agent: UserAgent;
  http: Http;
  url: Url;
  container: Container;
  process: Process;
  dockguard: Dockguard;
}
