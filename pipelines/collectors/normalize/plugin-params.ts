/**
 * Typed parameters of plugin installation: `POST /plugins/pull`, `/plugins/{name}/upgrade`
 * and `/plugins/create`. A managed plugin runs as root outside any container; the
 * privileges the client grants in the body (host network, `/` mounted, CAP_SYS_ADMIN,
 * all devices) are what the plugin will get, so they are recorded as granted.
 */
import type { PluginParams } from '../../../schemas/generated/docker-api-event';
import { asString, asStrings, field, isObject, type JsonValue } from './docker-json';

/** `[{"Name":"mount","Value":["/var/lib"]}]` → `["mount=/var/lib"]`. */
export function pluginPrivileges(body: JsonValue | undefined): string[] {
  if (!Array.isArray(body)) return [];
  return body
    .filter(isObject)
    .map((p) => `${asString(field(p, 'Name')) ?? ''}=${asStrings(field(p, 'Value')).join(',')}`);
}

/**
 * @param query the query values dockerd reads (first of each key)
 * @param pathName the `{name}` of `/plugins/{name}/upgrade`, else null
 */
export function pluginParams(
  endpoint: string,
  query: Readonly<Record<string, string>>,
  pathName: string | null,
  body: JsonValue | undefined,
): PluginParams {
  return {
    remote: endpoint === '/plugins/create' ? null : (query['remote'] ?? null),
    name: pathName ?? query['name'] ?? null,
    privileges: endpoint === '/plugins/create' ? [] : pluginPrivileges(body),
  };
}
