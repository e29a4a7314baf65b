// tokenize.js - tokenizes .nn files with the TextMate grammar of editors/vscode and fails
// when a comment, string, number, keyword, block word or duration unit is left unscoped
// (or given the wrong scope), when any other text has no scope but the file's, or when a
// line ends with a rule still open (the grammar's rules are all single-line).
//
// usage: node tokenize.js GRAMMAR.json PATH...   (a PATH that is a folder is searched for
// .nn files, skipping build*, .git and node_modules). The npm packages vscode-textmate and
// vscode-oniguruma must be on NODE_PATH (tests/test_docs.c installs pinned versions into
// build/editors-test). Prints each problem as FILE:LINE:COL: problem; exit status 1 if any.
'use strict';
const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const BLOCK = /^\s*(let|data|network|train|sweep|minimize)\b(?!\s*=)/;
const KEYWORDS = { then: 'keyword.control', for: 'keyword.control', in: 'keyword.control',
                   true: 'constant.language', false: 'constant.language' };

// The spans a correct grammar must scope, found by a small lexer of our own (the
// language's rules, docs/language.md section 2): [start, end, scope prefix, what].
function expectedSpans(line) {
	const spans = [];
	const block = BLOCK.exec(line);
	if (block)
		spans.push([block[0].length - block[1].length, block[0].length, 'keyword.other.block', 'block word']);
	let i = 0;
	while (i < line.length) {
		const c = line[i], rest = line.slice(i);
		if (c === '#') {
			spans.push([i, line.length, 'comment.line', 'comment']);
			break;
		}
		if (c === '"') {
			let j = i + 1;
			while (j < line.length && line[j] !== '"')
				j += line[j] === '\\' ? 2 : 1;
			j = Math.min(j + 1, line.length);
			spans.push([i, j, 'string.quoted', 'string']);
			i = j;
			continue;
		}
		let m = /^\.\./.exec(rest);
		if (m) { i += 2; continue; }
		m = /^(?:[0-9]+(?:\.(?!\.)[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?/.exec(rest);
		if (m && !/[A-Za-z0-9_]/.test(line[i - 1] || '')) {
			spans.push([i, i + m[0].length, 'constant.numeric', 'number']);
			i += m[0].length;
			continue;
		}
		m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
		if (m) {
			const word = m[0], after = line.slice(i + word.length);
			const prev = line.slice(0, i).trimEnd();
			if (KEYWORDS[word] && prev[prev.length - 1] !== '.')
				spans.push([i, i + word.length, KEYWORDS[word], 'keyword']);
			else if (/^(steps?|epochs?)$/.test(word) && /[0-9)]\s+$/.test(line.slice(0, i)) && !/^\s*[=(]/.test(after))
				spans.push([i, i + word.length, 'keyword.other.unit', 'duration unit']);
			i += word.length;
			continue;
		}
		i++;
	}
	return spans;
}

function nnFiles(p, out) {
	if (fs.statSync(p).isDirectory()) {
		for (const name of fs.readdirSync(p).sort())
			if (!/^(build.*|\.git|node_modules)$/.test(name))
				nnFiles(path.join(p, name), out);
	} else if (p.endsWith('.nn')) {
		out.push(p);
	}
	return out;
}

// Checks one file's lines; returns the problems.
function checkFile(grammar, file) {
	const problems = [];
	const lines = fs.readFileSync(file, 'utf8').split('\n');
	let stack = vsctm.INITIAL;
	lines.forEach((line, n) => {
		const where = (col) => `${file}:${n + 1}:${col + 1}`;
		const result = grammar.tokenizeLine(line, stack);
		for (const tok of result.tokens) {
			const text = line.slice(tok.startIndex, tok.endIndex);
			if (text.trim() !== '' && tok.scopes.length < 2)
				problems.push(`${where(tok.startIndex)}: '${text.trim()}' has no scope`);
		}
		for (const [start, end, prefix, what] of expectedSpans(line)) {
			for (const tok of result.tokens) {
				if (tok.endIndex <= start || tok.startIndex >= end)
					continue;
				if (!tok.scopes.some((s) => s.startsWith(prefix))) {
					problems.push(`${where(tok.startIndex)}: ${what} '${line.slice(start, end)}' ` +
						`is scoped ${tok.scopes.slice(1).join(' ') || '(nothing)'}, not ${prefix}`);
					break;
				}
			}
		}
		stack = result.ruleStack;
		if (stack.depth !== 1) {
			problems.push(`${where(line.length)}: the line ends inside a rule (depth ${stack.depth})`);
			stack = vsctm.INITIAL;
		}
	});
	return problems;
}

async function main() {
	const [grammarPath, ...paths] = process.argv.slice(2);
	if (!grammarPath || paths.length === 0) {
		console.error('usage: node tokenize.js GRAMMAR.json PATH...');
		process.exit(2);
	}
	const wasm = fs.readFileSync(path.join(path.dirname(require.resolve('vscode-oniguruma')), 'onig.wasm'));
	await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
	const registry = new vsctm.Registry({
		onigLib: Promise.resolve({
			createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
			createOnigString: (s) => new oniguruma.OnigString(s),
		}),
		loadGrammar: async () => vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath),
	});
	const grammar = await registry.loadGrammar('source.nn');
	const files = [];
	for (const p of paths)
		nnFiles(p, files);
	let problems = [];
	for (const f of files)
		problems = problems.concat(checkFile(grammar, f));
	for (const p of problems.slice(0, 50))
		console.log(p);
	if (problems.length > 50)
		console.log(`... and ${problems.length - 50} more`);
	console.log(`${files.length} files tokenized, ${problems.length} problems`);
	process.exit(problems.length === 0 && files.length > 0 ? 0 : 1);
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
