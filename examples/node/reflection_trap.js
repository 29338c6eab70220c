#!/usr/bin/env node
// Shows the reflection trap (README.md here): a Node client built from the
// descriptors server reflection returns has the proto's snake_case field
// names, whatever proto-loader's keepCase says, so a camelCase key such as
// `pageSize` is dropped without an error.
//
//   node reflection_trap.js --ingest 127.0.0.1:50051
//
// Fetches newsearch.v1.IngestService's descriptors over
// grpc.reflection.v1alpha (what gRPC 1.51 serves), loads them with
// proto-loader's loadFileDescriptorSetFromBuffer (keepCase false, then true)
// and calls ListArticles with {pageSize: 1} and with {page_size: 1}; then the
// same from proto/ with loadSync's default options, as newsearch_client.js
// does, where it is the other way round.
// Read-only; needs at least two stored articles to show the difference.
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const address = flag('ingest', '127.0.0.1:50051');
// grpc/reflection/v1alpha/reflection.proto: Debian's grpc-proto puts it here.
const grpcProtoDir = flag('grpc_proto_dir', '/usr/share/grpc-proto');
// google/protobuf/timestamp.proto: Debian's libprotobuf-dev puts it here.
const protoInclude = flag('proto_include', '/usr/include');

// The serialized FileDescriptorProtos of `symbol` and its imports.
function fetchDescriptors(symbol) {
  const reflection = grpc.loadPackageDefinition(protoLoader.loadSync(
      'grpc/reflection/v1alpha/reflection.proto', {includeDirs: [grpcProtoDir]}))
      .grpc.reflection.v1alpha;
  const client = new reflection.ServerReflection(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo({deadline: Date.now() + 10000});
    const files = new Map();
    call.on('data', (response) => {
      if (response.errorResponse) {
        reject(new Error(`reflection: ${response.errorResponse.errorMessage}`));
      } else {
        for (const b of response.fileDescriptorResponse.fileDescriptorProto) {
          files.set(b.toString('base64'), b);
        }
      }
      call.end();
    });
    call.on('error', reject);
    call.on('end', () => {
      client.close();
      resolve([...files.values()]);
    });
    call.write({fileContainingSymbol: symbol});
  });
}

// FileDescriptorSet { repeated FileDescriptorProto file = 1; } on the wire:
// each file as field 1 (tag 0x0a), length-delimited.
function fileDescriptorSet(files) {
  const parts = [];
  for (const b of files) {
    const len = [];
    for (let n = b.length; ; n >>>= 7) {
      if (n < 0x80) {
        len.push(n);
        break;
      }
      len.push((n & 0x7f) | 0x80);
    }
    parts.push(Buffer.from([0x0a, ...len]), b);
  }
  return Buffer.concat(parts);
}

function listArticles(client, request) {
  return new Promise((resolve, reject) => {
    client.ListArticles(request, {deadline: Date.now() + 10000},
        (err, response) => (err ? reject(err) : resolve(response.articles.length)));
  });
}

// Lists with both spellings of page_size through `definition`.
async function tryBoth(label, definition) {
  const fields = definition['newsearch.v1.ListArticlesRequest'].type.field.map((f) => f.name);
  const api = grpc.loadPackageDefinition(definition).newsearch.v1;
  const client = new api.IngestService(address, grpc.credentials.createInsecure());
  const camel = await listArticles(client, {pageSize: 1});
  const snake = await listArticles(client, {page_size: 1});
  client.close();
  console.log(`${label}: ListArticlesRequest fields ${fields.join(', ')}; ` +
              `{pageSize: 1} -> ${camel} articles; {page_size: 1} -> ${snake} articles`);
}

async function main() {
  const set = fileDescriptorSet(await fetchDescriptors('newsearch.v1.IngestService'));
  for (const keepCase of [false, true]) {
    await tryBoth(`reflection, keepCase ${keepCase}`,
        protoLoader.loadFileDescriptorSetFromBuffer(set, {keepCase}));
  }
  await tryBoth('proto/ files, keepCase false', protoLoader.loadSync('newsearch/v1/ingest.proto', {
    includeDirs: [path.resolve(__dirname, '..', '..', 'proto'), protoInclude],
  }));
}

main().catch((err) => {
  console.error(`reflection_trap: ${err.details || err.message}`);
  process.exit(2);
});
