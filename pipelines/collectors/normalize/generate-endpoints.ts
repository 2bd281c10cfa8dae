/**
 * `npx tsx pipelines/collectors/normalize/generate-endpoints.ts [swagger.yaml]`: regenerates
 * schemas/docker-api-endpoints.json from the Docker Engine API swagger (its `paths` keys and
 * their methods). The JSON is committed so that the normaliser needs no YAML and no I/O at run
 * time; endpoints.test.ts regenerates it and fails when the two drift apart.
 */
import * as fs from 'fs';
import * as path from 'path';
import { load } from 'js-yaml';

export interface EndpointTemplate {
  method: string;
  path: string;
  operationId: string | null;
}

export interface EndpointsFile {
  source: string;
  apiVersion: string | null;
  endpoints: EndpointTemplate[];
}

const REPO_ROOT = path.join(__dirname, '..', '..', '..');
/** CI lays shared/ beside the repository; a deployment may not have it. */
export const DEFAULT_SWAGGER = path.join(REPO_ROOT, '..', 'shared', 'reference', 'docker-engine-api', 'swagger.yaml');
export const ENDPOINTS_JSON = path.join(REPO_ROOT, 'schemas', 'docker-api-endpoints.json');

/** Swagger 2.0 path-item keys that are operations; `parameters` and `x-*` keys are not. */
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Drops the top-level `definitions:` block. Why: moby's swagger is not strictly valid YAML
 * there (definitions.ContainerConfig.ExposedPorts.example closes a flow mapping `}` at its
 * key's indentation; Go's yaml and js-yaml 4 accept it, js-yaml 5 rejects it with
 * "deficient indentation"). The endpoint list needs only `paths` and `info`, which parse
 * cleanly, so we parse the document without the schema definitions rather than patch YAML.
 */
export function withoutDefinitions(swaggerText: string): string {
  const lines = swaggerText.split('\n');
  const start = lines.findIndex((l) => /^definitions:\s*$/.test(l));
  if (start < 0) return swaggerText;
  let end = lines.findIndex((l, i) => i > start && /^[^\s#]/.test(l));
  if (end < 0) end = lines.length;
  return [...lines.slice(0, start), ...lines.slice(end)].join('\n');
}

/** Pure: swagger text in, endpoint list out, sorted by path then method so the output is stable. */
export function endpointsFromSwagger(swaggerText: string): EndpointsFile {
  const doc = load(withoutDefinitions(swaggerText));
  if (!isRecord(doc) || !isRecord(doc.paths)) {
    throw new Error('swagger: no `paths` mapping at the top level');
  }
  const endpoints: EndpointTemplate[] = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    if (!isRecord(item)) continue;
    for (const m of HTTP_METHODS) {
      const op = item[m];
      if (!isRecord(op)) continue;
      endpoints.push({
        method: m.toUpperCase(),
        path: p,
        operationId: typeof op.operationId === 'string' ? op.operationId : null,
      });
    }
  }
  endpoints.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.method < b.method ? -1 : 1));
  const info = doc.info;
  const version = isRecord(info) && typeof info.version === 'string' ? info.version : null;
  return {
    source: 'Docker Engine API swagger.yaml (moby/moby api/swagger.yaml), `paths` keys and methods',
    apiVersion: version,
    endpoints,
  };
}

export function renderEndpointsFile(file: EndpointsFile): string {
  return JSON.stringify(file, null, 2) + '\n';
}

if (require.main === module) {
  const swagger = process.argv[2] ?? DEFAULT_SWAGGER;
  const file = endpointsFromSwagger(fs.readFileSync(swagger, 'utf8'));
  fs.writeFileSync(ENDPOINTS_JSON, renderEndpointsFile(file));
  process.stdout.write(`wrote ${path.relative(process.cwd(), ENDPOINTS_JSON)} (${file.endpoints.length} endpoints)\n`);
}
