// usage.js: request counts per day, per key and per status over a
// chosen range, as charts and tables.

import { api, mode, query } from '../api.js';
import { barChart, dataTable, h } from '../dom.js';

export const title = 'Usage';

const RANGES = [['1', 'Last 24 hours'], ['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days']];

export async function render(main, { can }) {
	main.append(h('h1', { text: 'Usage' }));
	if (!can('usage.read')) {
		main.appendChild(h('p', { class: 'state', text: 'You may not read usage (no usage.read).' }));
		return;
	}
	const range = h('select', { id: 'usage-range' }, RANGES.map(([v, l]) => h('option', { value: v, text: l, selected: v === '30' })));
	const out = h('div', { id: 'usage-out' });
	main.append(h('p', { class: 'muted', text: 'Counts of requests in ' + mode() + ' mode.' }),
		h('label', {}, 'Range', range), out);
	async function load() {
		out.replaceChildren();
		const since = new Date(Date.now() - parseInt(range.value, 10) * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
		for (const [g, label, key] of [['day', 'Per day', 'day'], ['key', 'Per credential', 'key'], ['status', 'Per status', 'status']]) {
			const t = dataTable({ caption: label, empty: 'No requests in this range.', columns: [
				{ label: key, cell: (r) => r[key] }, { label: 'Requests', class: 'num', cell: (r) => r.count }] });
			const chart = h('div');
			out.append(h('h2', { text: label }), chart, t.el);
			try {
				const r = await api('GET', '/v1/usage' + query({ group_by: g, since }));
				t.rows(r.data);
				if (r.data.length) {
					chart.appendChild(barChart('Requests ' + label.toLowerCase(), r.data.map((d) => ({
						label: String(d[key]), short: String(d[key]).slice(0, 8), value: d.count, err: g === 'status' && String(d.status) >= '400' }))));
				}
			} catch (e) {
				t.error(e);
			}
		}
	}
	range.addEventListener('change', load);
	await load();
}
