import type { NodeClientRequest } from './StreamInput';

/**
 * Node's `http.ClientRequest`, told apart from a body and from a Node `Readable`: an outgoing
 * message (`setHeader`) with a method and a path, and no `read`. Typed without Node's types.
 */
export function isClientRequest(value: unknown): value is NodeClientRequest {
  const request = value as Partial<
    Record<'read' | 'on' | 'destroy' | 'setHeader' | 'method' | 'path', unknown>
  > | null;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof request!.on === 'function' &&
    typeof request!.destroy === 'function' &&
    typeof request!.setHeader === 'function' &&
    typeof request!.method === 'string' &&
    typeof request!.path === 'string' &&
    request!.read === undefined
  );
}
