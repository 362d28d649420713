// api.js: the dashboard's one way to latchkey's API.
//
// Same origin, the session cookie (HttpOnly: this code never sees it),
// X-Latchkey-CSRF on every unsafe request, X-Latchkey-Mode from the
// test/live switch.  Errors become ApiError; 401 sends the user to sign
// in, 429 shows the wait, 5xx shows the request id.  No secret is ever
// written to localStorage or sessionStorage: only the mode ("live" or
// "test") is remembered.

import { notice } from './dom.js';

const MODE_KEY = 'latchkey.mode';
const base = (document.querySelector('meta[name="latchkey-api"]')?.content || '/').replace(/\/$/, '');

let currentMode = localStorage.getItem(MODE_KEY) === 'test' ? 'test' : 'live';
const modeListeners = [];

export function mode() {
	return currentMode;
}

export function setMode(m) {
	currentMode = m === 'test' ? 'test' : 'live';
	localStorage.setItem(MODE_KEY, currentMode);
	for (const f of modeListeners) {
		f(currentMode);
	}
}

export function onModeChange(f) {
	modeListeners.push(f);
}

export class ApiError extends Error {
	constructor(status, code, message, requestId, fields, retryAfter) {
		super(message);
		this.status = status;
		this.code = code;
		this.requestId = requestId;
		this.fields = fields || null;
		this.retryAfter = retryAfter;
	}

	// One line for the user: the API's own message, its code, and the
	// request id to quote when asking for help.
	describe() {
		let s = this.message + (this.code ? ' (' + this.code + ')' : '');
		if (this.requestId) {
			s += ' — request id ' + this.requestId;
		}
		return s;
	}
}

let onSignedOut = null;

export function whenSignedOut(f) {
	onSignedOut = f;
}

// Calls the API.  opts.quiet401: a 401 is the caller's business (the
// sign-in form), not a reason to leave the page.
export async function api(method, path, body, opts = {}) {
	const headers = { Accept: 'application/json', 'X-Latchkey-Mode': opts.mode || currentMode };
	if (method !== 'GET' && method !== 'HEAD') {
		headers['X-Latchkey-CSRF'] = '1';
	}
	const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	let r;
	try {
		r = await fetch(base + path, init);
	} catch (e) {
		const err = new ApiError(0, 'network_error', 'The server cannot be reached; check the connection and retry.');
		notice(err.message, 'error');
		throw err;
	}
	let data = null;
	if (r.status !== 204) {
		try {
			data = await r.json();
		} catch (e) {
			data = null;
		}
	}
	if (r.ok) {
		return data;
	}
	const e = (data && data.error) || {};
	const err = new ApiError(r.status, e.code || 'http_' + r.status,
		e.message || r.statusText || 'request failed',
		e.request_id || r.headers.get('X-Request-Id'), e.fields,
		r.headers.get('Retry-After'));
	if (r.status === 401 && !opts.quiet401) {
		if (onSignedOut) {
			onSignedOut(err);
		}
	} else if (r.status === 429) {
		const wait = parseInt(err.retryAfter || '1', 10);
		notice('Too many requests: the rate limit is reached. Retry in ' + wait + ' s.', 'warn', wait * 1000 + 1000);
	} else if (r.status >= 500) {
		notice('Server error ' + r.status + ': ' + err.describe(), 'error');
	}
	throw err;
}

// Builds "?a=1&b=2" from the members of o that are set.
export function query(o) {
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(o)) {
		if (v !== undefined && v !== null && v !== '') {
			p.set(k, String(v));
		}
	}
	const s = p.toString();
	return s ? '?' + s : '';
}
