/**
 * Installs dockguard's templates and write targets, idempotently (every PUT
 * replaces the same content; "already exists" is success), at `dockguard setup
 * elasticsearch` and at indexer start.
 *
 * What the cluster supports is detected, not assumed:
 * - data streams when the `_data_stream` API answers. An integ-test or OSS-like
 *   build without it can still auto-create a data stream from a template with
 *   `data_stream` but can then neither list, delete nor modify it (measured on
 *   8.19.3 integ-test-zip), so there we install the templates without
 *   `data_stream` and create a plain index `<name>-000001` behind a write alias
 *   `<name>`: writers and Kibana use the same names either way.
 * - an ILM policy only when `_ilm/status` answers.
 */
import type { Client } from '@elastic/elasticsearch';
import { errors as esErrors } from '@elastic/elasticsearch';
import * as fs from 'fs';
import * as path from 'path';
import { DockguardError } from '../../detectors/errors';

export type TargetMode = 'data_stream' | 'index_alias';

export interface SetupOptions {
  /** The `<namespace>` of `logs-dockguard.findings-<namespace>`. */
  namespace: string;
  replicas: number;
  /** Days after which an ILM policy deletes old indices (only where ILM exists). */
  retentionDays: number;
  /** Force a mode instead of detecting it (tests). */
  mode?: TargetMode;
}

export interface SetupReport {
  mode: TargetMode;
  ilm: boolean;
  componentTemplates: string[];
  indexTemplates: string[];
  /** Write targets (data stream or alias names) and what happened to each. */
  targets: Array<{ name: string; action: 'created' | 'existed'; index?: string }>;
}

export const DATASETS = ['findings', 'audit'] as const;
export type Dataset = (typeof DATASETS)[number];

export function targetName(dataset: Dataset, namespace: string): string {
  return `logs-dockguard.${dataset}-${namespace}`;
}

export const ILM_POLICY = 'dockguard';

function schemasDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const c = path.join(dir, 'schemas', 'elasticsearch');
    if (fs.existsSync(path.join(c, 'dockguard-settings.json'))) return c;
    if (path.dirname(dir) === dir) throw new Error(`schemas/elasticsearch not found above ${__dirname}`);
  }
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(schemasDir(), file), 'utf8')) as Record<string, unknown>;
}

async function answers(client: Client, method: string, p: string): Promise<boolean> {
  try {
    await client.transport.request({ method, path: p });
    return true;
  } catch (e) {
    if (e instanceof esErrors.ResponseError) return false;
    throw e;
  }
}

export async function detectCapabilities(client: Client): Promise<{ dataStreams: boolean; ilm: boolean }> {
  const [dataStreams, ilm] = await Promise.all([
    answers(client, 'GET', '/_data_stream'),
    answers(client, 'GET', '/_ilm/status'),
  ]);
  return { dataStreams, ilm };
}

function isAlreadyExists(e: unknown): boolean {
  return (
    e instanceof esErrors.ResponseError &&
    /resource_already_exists_exception|already exists/.test(JSON.stringify(e.body ?? e.message))
  );
}

function setupError(what: string, e: unknown): DockguardError {
  const unavailable = !(e instanceof esErrors.ResponseError) || (e.statusCode ?? 0) >= 500;
  return new DockguardError({
    stage: 'runtime',
    code: unavailable ? 'ELASTICSEARCH_UNAVAILABLE' : 'ELASTICSEARCH_REJECTED',
    retriable: unavailable,
    message: `setup: ${what}: ${e instanceof esErrors.ResponseError ? JSON.stringify(e.body ?? e.message).slice(0, 400) : String(e)}`,
    cause: e,
  });
}

export async function setupElasticsearch(client: Client, opts: SetupOptions): Promise<SetupReport> {
  const caps = await detectCapabilities(client).catch((e: unknown) => {
    throw setupError('probing the cluster', e);
  });
  const mode: TargetMode = opts.mode ?? (caps.dataStreams ? 'data_stream' : 'index_alias');
  const report: SetupReport = { mode, ilm: caps.ilm, componentTemplates: [], indexTemplates: [], targets: [] };
  const put = async (what: string, p: string, body: unknown): Promise<void> => {
    try {
      await client.transport.request({ method: 'PUT', path: p, body: body as Record<string, unknown> });
    } catch (e) {
      throw setupError(what, e);
    }
  };

  if (caps.ilm)
    await put('lifecycle policy', `/_ilm/policy/${ILM_POLICY}`, {
      policy: {
        _meta: { managed_by: 'dockguard' },
        phases: {
          hot: { actions: { rollover: { max_age: '30d', max_primary_shard_size: '50gb' } } },
          delete: { min_age: `${opts.retentionDays}d`, actions: { delete: {} } },
        },
      },
    });

  const settings = readJson('dockguard-settings.json');
  const index = ((settings['template'] as Record<string, unknown>)['settings'] as Record<string, unknown>)[
    'index'
  ] as Record<string, unknown>;
  index['number_of_replicas'] = opts.replicas;
  if (caps.ilm && mode === 'data_stream') index['lifecycle'] = { name: ILM_POLICY };
  const components: Array<[string, Record<string, unknown>]> = [
    ['dockguard-settings', settings],
    ['dockguard-findings-mappings', readJson('dockguard-findings-mappings.json')],
    ['dockguard-audit-mappings', readJson('dockguard-audit-mappings.json')],
  ];
  for (const [name, body] of components) {
    await put(`component template ${name}`, `/_component_template/${name}`, body);
    report.componentTemplates.push(name);
  }
  for (const dataset of DATASETS) {
    const name = `logs-dockguard.${dataset}`;
    const body = readJson(`${name}.index-template.json`);
    if (mode === 'index_alias') delete body['data_stream'];
    await put(`index template ${name}`, `/_index_template/${name}`, body);
    report.indexTemplates.push(name);
  }

  for (const dataset of DATASETS) {
    const name = targetName(dataset, opts.namespace);
    if (mode === 'data_stream') {
      try {
        await client.transport.request({ method: 'PUT', path: `/_data_stream/${name}` });
        report.targets.push({ name, action: 'created' });
      } catch (e) {
        if (!isAlreadyExists(e)) throw setupError(`data stream ${name}`, e);
        report.targets.push({ name, action: 'existed' });
      }
      continue;
    }
    if (await client.indices.existsAlias({ name })) {
      report.targets.push({ name, action: 'existed' });
      continue;
    }
    if (await client.indices.exists({ index: name }))
      throw new DockguardError({
        stage: 'runtime',
        code: 'ELASTICSEARCH_REJECTED',
        message:
          `setup: ${name} exists as a concrete index (auto-created before setup ran?); ` +
          `reindex it into ${name}-000001 with the alias ${name}, or delete it if it is empty`,
      });
    const first = `${name}-000001`;
    try {
      await client.transport.request({
        method: 'PUT',
        path: `/${first}`,
        body: { aliases: { [name]: { is_write_index: true } } },
      });
      report.targets.push({ name, action: 'created', index: first });
    } catch (e) {
      if (!isAlreadyExists(e)) throw setupError(`index ${first}`, e);
      report.targets.push({ name, action: 'existed', index: first });
    }
  }
  return report;
}
