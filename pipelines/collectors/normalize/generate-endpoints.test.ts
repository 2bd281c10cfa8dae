import * as fs from 'fs';
import { DEFAULT_SWAGGER, ENDPOINTS_JSON, endpointsFromSwagger } from './generate-endpoints';

// CI has ../shared beside the repository; a deployment checkout may not, and then there is
// nothing to compare against.
const haveSwagger = fs.existsSync(DEFAULT_SWAGGER);
const maybe = haveSwagger ? it : it.skip;

describe('schemas/docker-api-endpoints.json', () => {
  maybe(
    haveSwagger
      ? 'equals what generate-endpoints.ts makes from the swagger'
      : `regeneration check skipped: no swagger at ${DEFAULT_SWAGGER}`,
    () => {
      const fresh = endpointsFromSwagger(fs.readFileSync(DEFAULT_SWAGGER, 'utf8'));
      const committed: unknown = JSON.parse(fs.readFileSync(ENDPOINTS_JSON, 'utf8'));
      expect(committed).toEqual(fresh);
    },
  );

  it('is sorted, unique per method and path, and has at most one parameter per template', () => {
    const { endpoints } = JSON.parse(fs.readFileSync(ENDPOINTS_JSON, 'utf8')) as ReturnType<
      typeof endpointsFromSwagger
    >;
    const keys = endpoints.map((e) => `${e.path} ${e.method}`);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of endpoints) expect((e.path.match(/\{/g) ?? []).length).toBeLessThanOrEqual(1);
    expect(endpoints).toContainEqual({ method: 'POST', path: '/containers/{id}/start', operationId: 'ContainerStart' });
  });
});
