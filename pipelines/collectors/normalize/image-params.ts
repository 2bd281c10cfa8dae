/**
 * Typed parameters of the calls that bring images in or out, all in the query string:
 * pull and import (`/images/create`), push, tag, build, commit and load. The seed
 * campaign starts with a pull of an attacker's image; a build from a remote context
 * or a commit of a compromised container plants one.
 */
import type { ImageParams } from '../../../schemas/generated/docker-api-event';
import { buildArgNames } from './query-params';

export interface ImageCall {
  params: ImageParams;
  /** The image reference the call pulls (container.image.name), else null. */
  imageName: string | null;
  /** The container a commit snapshots, else null. */
  containerId: string | null;
}

export const IMAGE_ENDPOINTS = new Set([
  '/images/create',
  '/images/{name}/push',
  '/images/{name}/tag',
  '/build',
  '/commit',
  '/images/load',
]);

/** `fromImage` with `tag` as dockerd joins them: a tag that is a digest is joined with `@`. */
export function imageReference(fromImage: string, tag: string | null): string {
  if (tag === null || tag === '') return fromImage;
  return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(tag) ? `${fromImage}@${tag}` : `${fromImage}:${tag}`;
}

/**
 * @param endpoint one of IMAGE_ENDPOINTS
 * @param query the values dockerd reads (first of each key)
 * @param all every value of each key (`/build` applies every `t`)
 * @param pathName the `{name}` of push and tag
 */
export function imageParams(
  endpoint: string,
  query: Readonly<Record<string, string>>,
  all: Readonly<Record<string, readonly string[]>>,
  pathName: string | null,
): ImageCall {
  const q = (k: string): string | null => {
    const v = query[k];
    return v === undefined || v === '' ? null : v;
  };
  const params: ImageParams = {
    from_image: null,
    from_src: null,
    tag: null,
    repo: null,
    remote: null,
    dockerfile: null,
    build_arg_names: [],
    platform: q('platform'),
  };
  let imageName: string | null = null;
  let containerId: string | null = null;
  switch (endpoint) {
    case '/images/create':
      params.from_image = q('fromImage');
      params.from_src = q('fromSrc');
      params.tag = q('tag');
      params.repo = q('repo');
      if (params.from_image !== null) imageName = imageReference(params.from_image, params.tag);
      break;
    case '/images/{name}/push':
      params.from_image = pathName;
      params.tag = q('tag');
      break;
    case '/images/{name}/tag':
      params.from_image = pathName;
      params.repo = q('repo');
      params.tag = q('tag');
      break;
    case '/build': {
      // dockerd applies every `t`; a decoy first tag must not hide a second one
      const tags = (all['t'] ?? []).filter((t) => t !== '');
      params.tag = tags.length > 0 ? tags.join(',') : null;
      params.remote = q('remote');
      params.dockerfile = q('dockerfile');
      params.build_arg_names = buildArgNames(query['buildargs']);
      break;
    }
    case '/commit':
      params.repo = q('repo');
      params.tag = q('tag');
      containerId = q('container');
      break;
  }
  return { params, imageName, containerId };
}
