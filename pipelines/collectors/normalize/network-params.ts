/** Typed parameters of `POST /networks/create`. */
import type { NetworkParams } from '../../../schemas/generated/docker-api-event';
import { asString, field, type JsonValue } from './docker-json';

export function networkCreate(body: JsonValue): NetworkParams {
  return {
    name: asString(field(body, 'Name')),
    driver: asString(field(body, 'Driver')),
    internal: field(body, 'Internal') === true,
    attachable: field(body, 'Attachable') === true,
  };
}
