/**
 * Plugin discovery (moby pkg/plugins/discovery.go): dockerd started with
 * `--authorization-plugin=<name>` looks for `<name>.sock` in /run/docker/plugins,
 * then `<name>.spec` / `<name>.json` in /etc/docker/plugins and
 * /usr/lib/docker/plugins. A spec file holds the socket address, e.g.
 * `unix:///run/dockguard/authz.sock`. These paths are fixed in dockerd (no flag
 * moves them), so names must be unique per plugin instance.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DockguardError } from '../../detectors/errors';

export const DEFAULT_SPEC_DIR = '/etc/docker/plugins';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function specFilePath(dir: string, pluginName: string): string {
  if (!NAME.test(pluginName))
    throw new DockguardError({
      stage: 'config',
      code: 'CONFIG_INVALID',
      message: `collector.authz.pluginName: "${pluginName}" must be letters, digits, "_", "." or "-" (it names a file)`,
    });
  return path.join(dir, `${pluginName}.spec`);
}

/** Writes `<dir>/<name>.spec` atomically (a half-written spec would make dockerd fail to start). */
export function writeSpecFile(dir: string, pluginName: string, socketPath: string): string {
  const file = specFilePath(dir, pluginName);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `unix://${path.resolve(socketPath)}\n`, { mode: 0o644 });
  fs.renameSync(tmp, file);
  return file;
}

export function removeSpecFile(dir: string, pluginName: string): void {
  fs.rmSync(specFilePath(dir, pluginName), { force: true });
}
