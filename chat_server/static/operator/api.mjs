/* The operator REST API: JSON both ways, the session cookie, and the CSRF header on writes. */

export class ApiError extends Error {
  constructor(code, status, data) { super(code); this.code = code; this.status = status; this.data = data || {}; }
}

async function answer(response) {
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(data.error || "http_" + response.status, response.status, data);
  return data;
}

export function makeApi(csrf) {
  return {
    get: (path) => fetch(path, { credentials: "same-origin" }).then(answer),
    post: (path, body) => fetch(path, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    }).then(answer),
    put: (path, body) => write("PUT", path, body, csrf),
    del: (path) => write("DELETE", path, undefined, csrf),
    upload: (path, form) => fetch(path, {
      method: "POST", credentials: "same-origin", body: form, headers: { "X-CSRF-Token": csrf() },
    }).then(answer),
  };
}

function write(method, path, body, csrf) {
  return fetch(path, {
    method: method, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
  }).then(answer);
}
