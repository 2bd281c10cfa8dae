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
  /** Why the body is not in the event although one was sent: not JSON, nested too deep, or truncated (body_complete false). */
  body_error: null | string;
  /** Where secrets were replaced by keyed hashes (body paths such as Env[0], query parameter names). */
  redacted: Array<string>;
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

/** Typed parameters of container create (/containers/create) and update (/containers/{id}/update). */
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
  cap_drop: Array<string>;
  cgroupns_mode: null | string;
  uts_mode: null | string;
  readonly_rootfs: boolean;
  volumes_from: Array<string>;
  tty: boolean;
  working_dir: null | string;
  /** key=value, in body order. */
  labels: Array<string>;
  extra_hosts: Array<string>;
  /** key=value. */
  sysctls: Array<string>;
  oom_kill_disable: boolean;
}

/** Typed parameters of exec create (/containers/{id}/exec). */
export interface ExecParams {
  cmd: Array<string>;
  user: null | string;
  privileged: boolean;
  tty: boolean;
  attach_stdin: boolean;
  /** Names only: values never leave the host. */
  env_names: Array<string>;
  working_dir: null | string;
}

/** Parameters of image pull and import (/images/create), push, tag, build, commit and load, from the query string. */
export interface ImageParams {
  /** Pull: the image pulled (fromImage). Tag: the source image. Push: the image pushed. */
  from_image: null | string;
  /** Import: the source (a URL, or - for the request body). */
  from_src: null | string;
  tag: null | string;
  /** Target repository of commit, tag and import. */
  repo: null | string;
  /** Build: the remote context URL (a Git repository or a tarball). */
  remote: null | string;
  dockerfile: null | string;
  /** Build: names of the build args (values are in dockguard.query as keyed hashes). */
  build_arg_names: Array<string>;
  platform: null | string;
}

/** Parameters of plugin pull, upgrade and create. */
export interface PluginParams {
  remote: null | string;
  name: null | string;
  /** The privileges the client granted, each Name=Value1,Value2. */
  privileges: Array<string>;
}

/** Parameters of a swarm service create or update (its ContainerSpec). */
export interface ServiceParams {
  name: null | string;
  image: null | string;
  /** replicated, global, replicated-job or global-job. */
  mode: null | string;
  /** ContainerSpec Command followed by Args. */
  args: Array<string>;
  mounts: Array<Mount>;
  cap_add: Array<string>;
  cap_drop: Array<string>;
  /** ContainerSpec.Privileges as docker run would spell them: seccomp=unconfined, apparmor=unconfined, no-new-privileges=true, label=…, credentialspec=…. */
  security_opt: Array<string>;
  /** Names only: values never leave the host. */
  env_names: Array<string>;
}

/** Parameters of volume create. */
export interface VolumeParams {
  name: null | string;
  driver: null | string;
  driver_opt_names: Array<string>;
}

/** Parameters of network create. */
export interface NetworkParams {
  name: null | string;
  driver: null | string;
  internal: boolean;
  attachable: boolean;
}

export interface Dockguard {
  /** Endpoint template of the Docker Engine API, e.g. /containers/{id}/start. */
  endpoint: string;
  api_version: null | string;
  /** Unusual spellings of the request (encoded-slash, dot-segments, case-changed, duplicate-query-param, ambiguous-body-key, …): dockerd may route them where a naive reader would not. */
  anomalies: Array<string>;
  /** The object the call acts on (the {id} or {name} of the path) or creates (the Id of the response body): container, exec, image, network, volume, plugin, service, … id. */
  resource_id: null | string;
  request: DockerRequest;
  decision: Decision;
  container: null | ContainerParams;
  exec: null | ExecParams;
  image: null | ImageParams;
  plugin: null | PluginParams;
  service: null | ServiceParams;
  volume: null | VolumeParams;
  network: null | NetworkParams;
  /** Query parameters after normalisation (last value wins); values of secret-bearing ones (build args) are keyed hashes. */
  query: Record<string, string>;
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
