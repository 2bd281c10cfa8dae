/**
 * Typed parameters of a swarm service (`POST /services/create`, `/services/{id}/update`):
 * the ContainerSpec every task of the service runs. A service schedules containers on
 * every node of the swarm (mode `global`), so one call can spread a miner or a
 * host-mounting container cluster-wide.
 *
 * Swarm has no `privileged` flag; what it has instead (ContainerSpec.Privileges) is
 * rendered as `docker run --security-opt` spells it, so one rule vocabulary serves
 * both container and service calls.
 */
import type { ServiceParams } from '../../../schemas/generated/docker-api-event';
import { mounts } from './container-params';
import { asString, asStrings, envNames, field, isObject, type JsonValue } from './docker-json';

export interface ServiceSpec {
  params: ServiceParams;
  /** Command followed by Args */
  args: string[];
}

const MODES: ReadonlyArray<[string, string]> = [
  ['Replicated', 'replicated'],
  ['Global', 'global'],
  ['ReplicatedJob', 'replicated-job'],
  ['GlobalJob', 'global-job'],
];

function securityOpts(priv: JsonValue | undefined): string[] {
  const out: string[] = [];
  const seccomp = asString(field(field(priv, 'Seccomp'), 'Mode'));
  if (seccomp !== null && seccomp !== 'default') out.push(`seccomp=${seccomp}`);
  const apparmor = asString(field(field(priv, 'AppArmor'), 'Mode'));
  if (apparmor === 'disabled') out.push('apparmor=unconfined');
  else if (apparmor !== null && apparmor !== 'default') out.push(`apparmor=${apparmor}`);
  if (field(priv, 'NoNewPrivileges') === true) out.push('no-new-privileges=true');
  const se = field(priv, 'SELinuxContext');
  if (field(se, 'Disable') === true) out.push('label=disable');
  for (const [k, name] of [
    ['User', 'user'],
    ['Role', 'role'],
    ['Type', 'type'],
    ['Level', 'level'],
  ] as const) {
    const v = asString(field(se, k));
    if (v) out.push(`label=${name}:${v}`);
  }
  const cred = field(priv, 'CredentialSpec');
  for (const [k, scheme] of [
    ['File', 'file'],
    ['Registry', 'registry'],
    ['Config', 'config'],
  ] as const) {
    const v = asString(field(cred, k));
    if (v) out.push(`credentialspec=${scheme}://${v}`);
  }
  return out;
}

export function serviceSpec(body: JsonValue): ServiceSpec {
  const cs = field(field(body, 'TaskTemplate'), 'ContainerSpec');
  const mode = field(body, 'Mode');
  // Go decodes the mode into a struct of pointers; the first one set is the one swarmkit uses
  const modeName = MODES.find(([k]) => isObject(field(mode, k)))?.[1] ?? null;
  const args = [...asStrings(field(cs, 'Command')), ...asStrings(field(cs, 'Args'))];
  return {
    params: {
      name: asString(field(body, 'Name')),
      image: asString(field(cs, 'Image')),
      mode: modeName,
      args,
      mounts: mounts(field(cs, 'Mounts')),
      cap_add: asStrings(field(cs, 'CapabilityAdd')),
      cap_drop: asStrings(field(cs, 'CapabilityDrop')),
      security_opt: securityOpts(field(cs, 'Privileges')),
      env_names: envNames(field(cs, 'Env')),
    },
    args,
  };
}
