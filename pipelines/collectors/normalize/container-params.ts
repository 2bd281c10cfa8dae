/**
 * Typed parameters of a container create (or update) body, read the way dockerd
 * reads them (docker-json.ts): the fields detection rules look at — image,
 * command, binds and mounts, privileges, capabilities, devices, namespaces,
 * security options, user, environment variable names (never their values).
 */
import type { ContainerParams, Mount } from '../../../schemas/generated/docker-api-event';
import { asString as str, asStrings as strings, envNames, field, isObject, type JsonValue } from './docker-json';

export interface ContainerCreate {
  image: string | null;
  params: ContainerParams;
  /** Entrypoint followed by Cmd: what the container runs */
  args: string[];
  commandLine: string | null;
}

/** Docker's strslice: a JSON string or an array of strings. */
function strslice(v: JsonValue | undefined): string[] {
  return strings(v);
}

/** A POSIX-shell rendering of argv, so command-line rules see what a shell would run. */
export function shellJoin(args: readonly string[]): string {
  return args.map((a) => (a !== '' && /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function mounts(v: JsonValue | undefined): Mount[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObject).map((m) => ({
    type: str(field(m, 'Type')) ?? '',
    source: str(field(m, 'Source')),
    target: str(field(m, 'Target')) ?? '',
    read_only: field(m, 'ReadOnly') === true,
  }));
}

function devices(v: JsonValue | undefined): string[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObject).map((d) => {
    const host = str(field(d, 'PathOnHost')) ?? '';
    const inContainer = str(field(d, 'PathInContainer')) ?? host;
    return `${host}:${inContainer}`;
  });
}

/**
 * A Go map[string]string as `key=value` lines. Map keys are case-sensitive in Go and a
 * repeated key keeps its last value (at the position of its first occurrence).
 */
export function keyValues(v: JsonValue | undefined): string[] {
  if (!isObject(v)) return [];
  const m = new Map<string, string>();
  for (const [k, x] of v.pairs) m.set(k, typeof x === 'string' ? x : x === null ? '' : JSON.stringify(x));
  return [...m].map(([k, x]) => `${k}=${x}`);
}

export function containerCreate(body: JsonValue): ContainerCreate {
  const hc = field(body, 'HostConfig');
  const entrypoint = strslice(field(body, 'Entrypoint'));
  const cmd = strslice(field(body, 'Cmd'));
  const args = [...entrypoint, ...cmd];
  const restart = field(hc, 'RestartPolicy');
  const params: ContainerParams = {
    entrypoint,
    cmd,
    binds: strings(field(hc, 'Binds')),
    mounts: mounts(field(hc, 'Mounts')),
    privileged: field(hc, 'Privileged') === true,
    cap_add: strings(field(hc, 'CapAdd')),
    devices: devices(field(hc, 'Devices')),
    pid_mode: str(field(hc, 'PidMode')),
    ipc_mode: str(field(hc, 'IpcMode')),
    network_mode: str(field(hc, 'NetworkMode')),
    userns_mode: str(field(hc, 'UsernsMode')),
    security_opt: strings(field(hc, 'SecurityOpt')),
    user: str(field(body, 'User')),
    // names only: values can be secrets
    env_names: envNames(field(body, 'Env')),
    restart_policy: str(field(restart, 'Name')),
    cap_drop: strings(field(hc, 'CapDrop')),
    cgroupns_mode: str(field(hc, 'CgroupnsMode')),
    uts_mode: str(field(hc, 'UTSMode')),
    readonly_rootfs: field(hc, 'ReadonlyRootfs') === true,
    volumes_from: strings(field(hc, 'VolumesFrom')),
    tty: field(body, 'Tty') === true,
    working_dir: str(field(body, 'WorkingDir')),
    labels: keyValues(field(body, 'Labels')),
    extra_hosts: strings(field(hc, 'ExtraHosts')),
    sysctls: keyValues(field(hc, 'Sysctls')),
    oom_kill_disable: field(hc, 'OomKillDisable') === true,
  };
  return { image: str(field(body, 'Image')), params, args, commandLine: args.length > 0 ? shellJoin(args) : null };
}

/**
 * `POST /containers/{id}/update`: the body is a flat Resources struct plus RestartPolicy
 * (no HostConfig wrapper). Only the fields that exist there are filled; the rest keep
 * their defaults, so a rule on `privileged` cannot fire on an update.
 */
export function containerUpdate(body: JsonValue): ContainerParams {
  const empty = containerCreate({ pairs: [] }).params;
  return {
    ...empty,
    devices: devices(field(body, 'Devices')),
    oom_kill_disable: field(body, 'OomKillDisable') === true,
    restart_policy: str(field(field(body, 'RestartPolicy'), 'Name')),
  };
}
