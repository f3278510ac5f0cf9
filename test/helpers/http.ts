export type ApiInit = RequestInit & { json?: unknown };

/** fetch against `baseUrl` with a bearer token unless the call sets its own; `json` becomes the body. */
export function bearerFetch(baseUrl: string, token: string) {
  return (pathname: string, init: ApiInit = {}): Promise<Response> => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${baseUrl}${pathname}`, {
      ...rest,
      headers,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  };
}
