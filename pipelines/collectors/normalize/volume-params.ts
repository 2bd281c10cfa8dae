/** Typed parameters of `POST /volumes/create` (a driver option can mount a host path: `o=bind,device=/`). */
import type { VolumeParams } from '../../../schemas/generated/docker-api-event';
import { asString, field, isObject, type JsonValue } from './docker-json';

export function volumeCreate(body: JsonValue): VolumeParams {
  const opts = field(body, 'DriverOpts');
  return {
    name: asString(field(body, 'Name')),
    driver: asString(field(body, 'Driver')),
    // option values may be credentials (CIFS passwords): names only
    driver_opt_names: isObject(opts) ? [...new Set(opts.pairs.map(([k]) => k))] : [],
  };
}
