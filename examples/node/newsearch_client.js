#!/usr/bin/env node
// A newsearch client in Node: ingest a page, wait until it is searchable,
// search, print the hits with their highlights.
//
// @grpc/grpc-js with @grpc/proto-loader reading proto/ (README.md here):
//
//   cd examples/node && npm ci
//   node newsearch_client.js --ingest 127.0.0.1:50051 --search 127.0.0.1:50052 PAGE_FILE '乌镇 互联网'
//
// Exit status: 0 with at least one hit, 1 with none, 2 on an error (a gRPC
// error prints its status code name and message).
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const usage = `usage: newsearch_client.js [--ingest HOST:PORT] [--search HOST:PORT]
       [--timeout SECONDS] [--proto_include DIR] FILE QUERY`;

function parseArgs(argv) {
  const args = {
    ingest: '127.0.0.1:50051',
    search: '127.0.0.1:50052',
    timeout: 30,
    // google/protobuf/timestamp.proto: Debian's libprotobuf-dev puts it here.
    proto_include: '/usr/include',
  };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z_]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) {
      positional.push(argv[i]);
      continue;
    }
    if (m[1] === 'help') {
      console.log(usage);
      process.exit(0);
    }
    if (!(m[1] in args)) throw new Error(`unknown flag --${m[1]}\n${usage}`);
    const value = m[2] !== undefined ? m[2] : argv[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value\n${usage}`);
    args[m[1]] = m[1] === 'timeout' ? Number(value) : value;
  }
  if (positional.length !== 2) throw new Error(usage);
  [args.file, args.query] = positional;
  return args;
}

// proto-loader's default options turn field names into lowerCamelCase
// (`externalId`, `pageSize`, `publishedAt`), as proto3 JSON does; int64
// values come as strings and enums as their names.
function loadApi(includeDir) {
  const protoDir = path.resolve(__dirname, '..', '..', 'proto');
  const definition = protoLoader.loadSync(
      ['newsearch/v1/ingest.proto', 'newsearch/v1/search.proto'], {
        includeDirs: [protoDir, includeDir],
        longs: String,
        enums: String,
        defaults: true,
      });
  return grpc.loadPackageDefinition(definition).newsearch.v1;
}

// Promise wrapper for a unary call with a deadline.
function call(client, method, request, seconds) {
  return new Promise((resolve, reject) => {
    client[method](request, {deadline: Date.now() + seconds * 1000},
        (err, response) => (err ? reject(err) : resolve(response)));
  });
}

// snippet.text with every highlight span wrapped in 【】. Spans are [start,
// end) Unicode code point offsets; JavaScript strings index UTF-16 code
// units, so the text is split into code points first.
function highlighted(snippet) {
  const cps = Array.from(snippet.text);
  let out = '';
  let pos = 0;
  for (const h of snippet.highlights) {
    out += cps.slice(pos, h.start).join('') + '【' + cps.slice(h.start, h.end).join('') + '】';
    pos = h.end;
  }
  return out + cps.slice(pos).join('');
}

// ` (source 2018-04-23)`: the source and the calendar date in China
// Standard Time (UTC+8), whichever the hit has.
function about(hit) {
  const parts = hit.source ? [hit.source] : [];
  if (hit.publishedAt) {
    parts.push(new Date((Number(hit.publishedAt.seconds) + 8 * 3600) * 1000)
        .toISOString().slice(0, 10));
  }
  return parts.length ? ` (${parts.join(' ')})` : '';
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const content = fs.readFileSync(args.file);
  const api = loadApi(args.proto_include);
  const ingest = new api.IngestService(args.ingest, grpc.credentials.createInsecure());
  const search = new api.SearchService(args.search, grpc.credentials.createInsecure());
  try {
    // The external id makes a second run an update of the same article, not a copy.
    const response = await call(ingest, 'IngestArticle',
        {content, externalId: path.basename(args.file)}, 30);
    let seq = 0n;
    for (const a of response.articles) {
      console.log(`ingested ${a.id} seq ${a.seq} ${a.outcome}: ${a.title}`);
      if (BigInt(a.seq) > seq) seq = BigInt(a.seq);
    }

    // Searchable once the replica has committed the article's seq.
    const deadline = Date.now() + args.timeout * 1000;
    let status;
    for (;;) {
      status = await call(search, 'GetIndexStatus', {}, 10);
      if (BigInt(status.appliedSeq) >= seq) break;
      if (Date.now() > deadline) {
        throw new Error(`not searchable after ${args.timeout}s ` +
                        `(applied_seq ${status.appliedSeq} < seq ${seq})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    console.log(`searchable: applied_seq ${status.appliedSeq} >= ${seq}`);

    const result = await call(search, 'Search', {query: args.query, pageSize: 10}, 30);
    console.log(`${result.hits.length} hits (total ~${result.totalEstimate}) for ${args.query}`);
    for (const hit of result.hits) {
      console.log(`${hit.rank + 1}. ${hit.title}${about(hit)} ${hit.id}`);
      console.log(`   ${highlighted(hit.snippet)}`);
    }
    return result.hits.length > 0 ? 0 : 1;
  } finally {
    ingest.close();
    search.close();
  }
}

main().then((code) => process.exit(code), (err) => {
  const code = err.code !== undefined ? grpc.status[err.code] : undefined;
  console.error(`newsearch_client: ${code ? `${code}: ${err.details}` : err.message}`);
  process.exit(2);
});
