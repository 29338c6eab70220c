#!/usr/bin/env node
// Validates one rendered newsearch overlay (the output of `kubectl kustomize`):
// every object against the upstream Kubernetes OpenAPI schemas (through
// kubernetes-models' validators) with unknown fields refused, as the API
// server refuses them, then the properties newsearch relies on:
// gRPC probes on the plaintext health port with the agreed service names,
// per-replica volumes, the token Secret mounted as a directory, selectors that
// select, and a NetworkPolicy that lets only search and writers reach ingest.
//
//   node validate_manifests.js RENDERED.yaml --namespace NS --search-replicas N [--tls]
//       [--partitions P] [--ingest-flags FILE --search-flags FILE]
// --partitions P: the partitioned layout (#12): P StatefulSets
// newsearch-search-p<K> of N replicas each (--partition=K/P, a shard port only
// routers reach), a PDB per partition, and a Deployment newsearch-router
// (--shards naming every replica's shard port) behind Service newsearch-search.
// The flag files list the servers' flags (one name per line, from --helpfull);
// with them every NEWSEARCH_<FLAG> setting must name a flag of its server or
// one the team has agreed on and not yet landed (AGREED_FLAGS).
//
// Prints one line per problem and exits 1 if there is any.
'use strict';

const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

function parseArgs(argv) {
  const args = {file: null, namespace: null, searchReplicas: null, tls: false,
                ingestFlags: null, searchFlags: null, partitions: 0};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--namespace') args.namespace = argv[++i];
    else if (a === '--search-replicas') args.searchReplicas = Number(argv[++i]);
    else if (a === '--tls') args.tls = true;
    else if (a === '--partitions') args.partitions = Number(argv[++i]);
    else if (a === '--ingest-flags') args.ingestFlags = readFlags(argv[++i]);
    else if (a === '--search-flags') args.searchFlags = readFlags(argv[++i]);
    else if (!args.file) args.file = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!args.file || !args.namespace || !Number.isInteger(args.searchReplicas)) {
    throw new Error('usage: validate_manifests.js RENDERED.yaml --namespace NS ' +
                    '--search-replicas N [--tls]');
  }
  return args;
}

function readFlags(file) {
  return new Set(fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean));
}

// Flags the team agreed on (security and operations, readiness lag) that the
// manifests use; a server that lacks one is reported, not failed.
const AGREED_FLAGS = {
  both: ['auth_token_file', 'tls_cert_file', 'tls_key_file', 'tls_client_ca_file', 'health_listen',
         'metrics_listen', 'log_level', 'max_concurrent_streams'],
  ingest: ['max_articles_per_stream'],
  search: ['ingest_token_file', 'ingest_tls_ca_file', 'ingest_tls_cert_file', 'ingest_tls_key_file',
           'ready_max_lag', 'analyzer'],
};
const pending = new Set();

const problems = [];
function fail(where, message) {
  problems.push(`${where}: ${message}`);
}
function check(condition, where, message) {
  if (!condition) fail(where, message);
  return condition;
}

// kubernetes-models lays its classes out as <group>/<version>/<Kind>, the
// core group as v1/<Kind>.
function modelFor(apiVersion, kind) {
  const modulePath = `kubernetes-models/${apiVersion}/${kind}`;
  try {
    return require(modulePath)[kind];
  } catch (e) {
    return null;
  }
}

// The JSON schemas accept fields they do not know; the API server (kubectl's
// default --validate=strict) refuses them. kubernetes-models' type
// declarations list every field of every type, so read them once and reject
// any field they do not declare (a typo like `readinesProbe` would otherwise
// pass, and the probe silently vanish).
let fieldIndex = null;
function loadFieldIndex() {
  const root = path.dirname(require.resolve('kubernetes-models/package.json'));
  const roots = [root];
  try {
    roots.push(path.dirname(require.resolve('@kubernetes-models/apimachinery/package.json',
                                            {paths: [root]})));
  } catch (e) {
    // Older layouts keep apimachinery's declarations elsewhere; its types then
    // go unchecked (their fields still pass the schema check).
  }
  const interfaces = new Map();  // global alias -> {field: type}
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' || dir === root) walk(full);
      } else if (entry.name.endsWith('.d.ts')) {
        indexDeclarations(fs.readFileSync(full, 'utf8'), interfaces);
      }
    }
  };
  for (const r of roots) walk(r);
  return interfaces;
}
function indexDeclarations(text, interfaces) {
  const local = new Map();
  const re = /^export interface (\w+)(?: extends [^{]*)? \{\n([\s\S]*?)^\}/gm;
  let m;
  while ((m = re.exec(text)) !== null) {
    const fields = {};
    for (const line of m[2].split('\n')) {
      const f = /^ {4}"([^"]+)"\??: (.*)$/.exec(line);
      if (!f) continue;
      const type = f[2].trim();
      const array = /^Array<(I\w+)>;$/.exec(type);
      const ref = /^(I\w+);$/.exec(type);
      fields[f[1]] = array ? {array: array[1]} : ref ? {ref: ref[1]} : {};
    }
    local.set(m[1], fields);
  }
  const aliases = /^export \{ (\w+) as (\w+)/gm;
  while ((m = aliases.exec(text)) !== null) {
    if (local.has(m[1])) interfaces.set(m[2], local.get(m[1]));
  }
}
function checkFields(value, typeName, where, at) {
  if (fieldIndex === null) fieldIndex = loadFieldIndex();
  const fields = fieldIndex.get(typeName);
  if (!fields || !value || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const field = fields[key];
    if (!field) {
      fail(where, `unknown field ${at ? at + '.' : ''}${key}`);
      continue;
    }
    const next = `${at ? at + '.' : ''}${key}`;
    if (field.ref) checkFields(child, field.ref, where, next);
    if (field.array && Array.isArray(child)) {
      child.forEach((item, i) => checkFields(item, field.array, where, `${next}[${i}]`));
    }
  }
}
function groupVersionKindType(apiVersion, kind) {
  // apps/v1 StatefulSet -> IIoK8sApiAppsV1StatefulSet; v1 Service -> IIoK8sApiCoreV1Service.
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  const camel = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  const g = group.replace(/\.k8s\.io$/, '').split('.').map(camel).join('');
  return `IIoK8sApi${g}${camel(version)}${kind}`;
}

function validateSchema(obj, where) {
  const Model = modelFor(obj.apiVersion, obj.kind);
  if (!check(Model, where, `no Kubernetes schema for apiVersion ${obj.apiVersion} kind ${obj.kind}`)) {
    return;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    fail(where, `schema: ${e.message}`);
  }
  const typeName = groupVersionKindType(obj.apiVersion, obj.kind);
  if (fieldIndex === null) fieldIndex = loadFieldIndex();
  if (check(fieldIndex.has(typeName), where, `no field list for ${typeName}`)) {
    checkFields(obj, typeName, where, '');
  }
}

function labelsMatch(selector, labels) {
  if (!selector || !selector.matchLabels) return false;
  return Object.entries(selector.matchLabels).every(([k, v]) => (labels || {})[k] === v);
}

function portOf(hostPort) {
  const m = /:(\d+)$/.exec(hostPort || '');
  return m ? Number(m[1]) : null;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const docs = YAML.parseAllDocuments(fs.readFileSync(args.file, 'utf8'));
  const objects = [];
  for (const doc of docs) {
    if (doc.errors.length) {
      fail(args.file, `YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const obj = doc.toJS();
    if (obj) objects.push(obj);
  }
  check(objects.length > 0, args.file, 'no objects rendered');

  const byKey = new Map();
  for (const obj of objects) {
    const name = obj.metadata && obj.metadata.name;
    const where = `${obj.kind}/${name}`;
    validateSchema(obj, where);
    check(obj.metadata && obj.metadata.namespace === args.namespace, where,
          `namespace is ${obj.metadata && obj.metadata.namespace}, want ${args.namespace}`);
    check(!byKey.has(`${obj.kind}/${name}`), where, 'defined twice');
    byKey.set(`${obj.kind}/${name}`, obj);
  }
  const get = (kind, name) => {
    const obj = byKey.get(`${kind}/${name}`);
    check(obj, `${kind}/${name}`, 'missing');
    return obj;
  };

  const configOf = (container, where) => {
    const env = {};
    for (const from of container.envFrom || []) {
      if (!from.configMapRef) continue;
      const cm = byKey.get(`ConfigMap/${from.configMapRef.name}`);
      if (check(cm, where, `envFrom ConfigMap ${from.configMapRef.name} is not in the output`)) {
        Object.assign(env, cm.data || {});
      }
    }
    for (const e of container.env || []) env[e.name] = e.value;
    for (const name of Object.keys(env)) {
      check(/^NEWSEARCH_[A-Z0-9_]+$/.test(name), where, `setting ${name} is not a NEWSEARCH_<FLAG>`);
    }
    return env;
  };

  // A file path must lie under a mount of the given volume kind.
  const mountFor = (pod, container, file) => {
    for (const m of container.volumeMounts || []) {
      const dir = m.mountPath.replace(/\/$/, '');
      if (file === dir || file.startsWith(dir + '/')) {
        const volume = (pod.volumes || []).find((v) => v.name === m.name);
        return {mount: m, volume};
      }
    }
    return null;
  };

  // Checks one server's StatefulSet; returns its pod labels and settings.
  const checkServer = (sts, containerName, tokenFlag, known, flagsOf = containerName) => {
    const where = `${sts.kind}/${sts.metadata.name}`;
    const spec = sts.spec || {};
    const pod = (spec.template || {}).spec || {};
    const podLabels = ((spec.template || {}).metadata || {}).labels || {};
    check(labelsMatch(spec.selector, podLabels), where, 'selector does not select its own pods');
    const container = (pod.containers || []).find((c) => c.name === containerName);
    if (!check(container, where, `no container ${containerName}`)) return {podLabels, env: {}};
    const env = configOf(container, where);
    if (known) {
      const agreed = new Set([...AGREED_FLAGS.both, ...AGREED_FLAGS[flagsOf]]);
      for (const name of Object.keys(env)) {
        const flag = name.replace(/^NEWSEARCH_/, '').toLowerCase();
        if (known.has(flag)) continue;
        if (check(agreed.has(flag), where, `${name}: newsearch-${flagsOf} has no flag --${flag}`)) {
          pending.add(`newsearch-${flagsOf} --${flag}`);
        }
      }
    }

    check((pod.securityContext || {}).runAsNonRoot === true, where, 'pods must run as non-root');
    const stateless = sts.kind === 'Deployment';
    check(stateless || (pod.securityContext && pod.securityContext.fsGroup), where,
          'fsGroup must make the volume writable for the non-root user');
    check(container.resources && container.resources.requests &&
          container.resources.requests.cpu && container.resources.requests.memory,
          where, 'container needs cpu and memory requests');
    check(container.resources && container.resources.limits && container.resources.limits.memory,
          where, 'container needs a memory limit');

    // Probes: native gRPC on the plaintext health listener.
    const healthPort = portOf(env.NEWSEARCH_HEALTH_LISTEN);
    check(healthPort, where, 'NEWSEARCH_HEALTH_LISTEN (--health_listen) is not set to host:port');
    const namedHealth = (container.ports || []).find((p) => p.name === 'health');
    check(namedHealth && namedHealth.containerPort === healthPort, where,
          'container port "health" must be the --health_listen port');
    const probes = {livenessProbe: 'liveness', readinessProbe: ''};
    for (const [probeName, service] of Object.entries(probes)) {
      const probe = container[probeName];
      if (!check(probe, where, `no ${probeName}`)) continue;
      check(!probe.httpGet && !probe.exec && !probe.tcpSocket, where,
            `${probeName} must be a native grpc probe only`);
      if (!check(probe.grpc, where, `${probeName} is not a grpc probe`)) continue;
      check(probe.grpc.port === healthPort, where,
            `${probeName} probes port ${probe.grpc.port}, the health listener is ${healthPort}`);
      check((probe.grpc.service || '') === service, where,
            `${probeName} asks for service "${probe.grpc.service || ''}", want "${service}"`);
    }
    const grpcPort = portOf(env.NEWSEARCH_LISTEN);
    check(grpcPort && grpcPort !== healthPort, where,
          'NEWSEARCH_LISTEN must be a port of its own (probes cannot speak TLS)');
    check((container.ports || []).some((p) => p.name === 'grpc' && p.containerPort === grpcPort),
          where, 'container port "grpc" must be the --listen port');

    if (stateless) {
      // A router holds no index and follows no log.
      for (const flag of ['NEWSEARCH_DATA_DIR', 'NEWSEARCH_INGEST_ADDRESS', 'NEWSEARCH_SHARD_LISTEN']) {
        check(!env[flag], where, `${flag} is set on a router`);
      }
      return {podLabels, env, grpcPort};
    }
    // Data on a per-replica PersistentVolumeClaim.
    const dataDir = env.NEWSEARCH_DATA_DIR;
    const data = dataDir && mountFor(pod, container, dataDir);
    if (check(data, where, `data dir ${dataDir} is not on a mounted volume`)) {
      const claim = (spec.volumeClaimTemplates || []).find((t) => t.metadata.name === data.mount.name);
      check(claim && !data.volume, where,
            `data dir ${dataDir} must be on a volumeClaimTemplate, not volume ${data.mount.name}`);
      if (claim) {
        check((claim.spec.accessModes || []).includes('ReadWriteOnce'), where,
              'data claim must be ReadWriteOnce');
        check(claim.spec.resources && claim.spec.resources.requests &&
              claim.spec.resources.requests.storage, where, 'data claim needs a storage request');
      }
    }

    // The token from the newsearch-auth Secret, as a file that rotation reaches.
    const tokenFile = env[tokenFlag];
    const token = tokenFile && mountFor(pod, container, tokenFile);
    if (check(token, where, `${tokenFlag} (${tokenFile}) is not on a mounted volume`)) {
      check(token.volume && token.volume.secret && token.volume.secret.secretName === 'newsearch-auth',
            where, `${tokenFlag} must come from the newsearch-auth Secret`);
      check(!token.mount.subPath, where,
            'token Secret mounted with subPath: a rotated token would never reach the file');
    }

    // TLS flags, all set and all under a mounted newsearch-tls Secret, or none.
    const tlsFlags = Object.keys(env).filter((k) => /TLS_/.test(k));
    if (args.tls) {
      const wanted = ['NEWSEARCH_TLS_CERT_FILE', 'NEWSEARCH_TLS_KEY_FILE'];
      for (const flag of wanted) check(env[flag], where, `${flag} not set`);
    } else {
      check(tlsFlags.length === 0, where, `TLS settings in a plaintext overlay: ${tlsFlags}`);
    }
    for (const flag of tlsFlags) {
      const m = mountFor(pod, container, env[flag]);
      check(m && m.volume && m.volume.secret && m.volume.secret.secretName === 'newsearch-tls' &&
            !m.mount.subPath, where, `${flag}=${env[flag]} is not in the mounted newsearch-tls Secret`);
    }
    return {podLabels, env, grpcPort};
  };

  // The partitioned layout's routers: a Deployment in router mode whose
  // --shards names every partition's replicas in order, behind the callers'
  // Service, scaled by an HPA, and alone in reaching the shard ports.
  const partitionShards = [];
  const checkRouters = () => {
    const router = get('Deployment', 'newsearch-router');
    if (!router) return;
    const where = 'Deployment/newsearch-router';
    const rt = checkServer(router, 'router', null, args.searchFlags, 'search');
    const want = partitionShards.map((p) => p.replicas.join(',')).join(';');
    check(rt.env.NEWSEARCH_SHARDS === want, where,
          `NEWSEARCH_SHARDS is ${rt.env.NEWSEARCH_SHARDS}, want ${want}`);
    const callers = get('Service', 'newsearch-search');
    if (callers) {
      check(callers.spec.clusterIP !== 'None', 'Service/newsearch-search', 'must be a ClusterIP Service');
      serviceSelects(callers, rt.podLabels, 'Service/newsearch-search');
      for (const p of partitionShards) {
        check(!Object.entries(callers.spec.selector || {}).every(([k, v]) => p.podLabels[k] === v),
              'Service/newsearch-search', `also selects the replicas of ${p.name}`);
      }
    }
    const hpa = get('HorizontalPodAutoscaler', 'newsearch-router');
    if (hpa) {
      const ref = hpa.spec.scaleTargetRef || {};
      check(ref.kind === 'Deployment' && ref.name === 'newsearch-router',
            'HorizontalPodAutoscaler/newsearch-router', 'must scale the newsearch-router Deployment');
    }
    // Every rule that opens a shard port admits routers only.
    for (const p of partitionShards) {
      const policies = objects.filter((o) => o.kind === 'NetworkPolicy' &&
                                             labelsMatch(o.spec.podSelector, p.podLabels));
      check(policies.length > 0, 'NetworkPolicy', `no NetworkPolicy selects the pods of ${p.name}`);
      let routerAllowed = false;
      for (const np of policies) {
        const w = `NetworkPolicy/${np.metadata.name}`;
        check((np.spec.policyTypes || []).includes('Ingress'), w, 'must restrict Ingress');
        for (const rule of np.spec.ingress || []) {
          const coversShard = !rule.ports || rule.ports.some((q) => q.port === p.shardPort || q.port === 'shard');
          if (!coversShard) continue;
          if (!check(rule.from && rule.from.length > 0, w, 'a rule opens the shard port to every pod')) continue;
          for (const peer of rule.from) {
            const ok = peer.podSelector && !peer.namespaceSelector && !peer.ipBlock &&
                       labelsMatch(peer.podSelector, rt.podLabels) &&
                       Object.keys(peer.podSelector.matchLabels).length > 0;
            check(ok, w, `a rule opens the shard port to ${JSON.stringify(peer)}`);
            if (ok) routerAllowed = true;
          }
        }
      }
      check(routerAllowed, 'NetworkPolicy', `routers cannot reach the shard port of ${p.name}`);
    }
  };

  const ingest = get('StatefulSet', 'newsearch-ingest');
  if (!ingest) return;
  const ing = checkServer(ingest, 'ingest', 'NEWSEARCH_AUTH_TOKEN_FILE', args.ingestFlags);
  check(ingest.spec.replicas === 1, 'StatefulSet/newsearch-ingest',
        `replicas ${ingest.spec.replicas}: the SQLite store takes exactly one writer`);
  if (args.tls) {
    for (const flag of ['NEWSEARCH_TLS_CLIENT_CA_FILE']) {
      check(ing.env[flag], 'StatefulSet/newsearch-ingest', `${flag} not set`);
    }
  }
  const serviceSelects = (svc, labels, where) =>
      check(svc && svc.spec && svc.spec.selector &&
            Object.entries(svc.spec.selector).every(([k, v]) => labels[k] === v),
            where, 'selector does not select the pods');
  const ingestSvc = get('Service', 'newsearch-ingest');
  serviceSelects(ingestSvc, ing.podLabels, 'Service/newsearch-ingest');

  // One search StatefulSet (single index) or one per partition; each is
  // checked the same way.
  const searchSets = [];
  if (args.partitions > 0) {
    check(!byKey.has('StatefulSet/newsearch-search'), 'StatefulSet/newsearch-search',
          'the single-index replicas are still there beside the partitions');
    for (let k = 0; k < args.partitions; k++) searchSets.push(`newsearch-search-p${k}`);
  } else {
    searchSets.push('newsearch-search');
  }
  const searchPods = [];
  for (const [k, name] of searchSets.entries()) {
    const search = get('StatefulSet', name);
    if (!search) continue;
    const where = `StatefulSet/${name}`;
    const sea = checkServer(search, 'search', 'NEWSEARCH_INGEST_TOKEN_FILE', args.searchFlags);
    searchPods.push(sea.podLabels);
    check(search.spec.replicas === args.searchReplicas, where,
          `replicas ${search.spec.replicas}, want ${args.searchReplicas}`);
    if (args.tls) {
      for (const flag of ['NEWSEARCH_INGEST_TLS_CA_FILE', 'NEWSEARCH_INGEST_TLS_CERT_FILE',
                          'NEWSEARCH_INGEST_TLS_KEY_FILE']) {
        check(sea.env[flag], where, `${flag} not set`);
      }
    }
    check(/^\d+$/.test(sea.env.NEWSEARCH_READY_MAX_LAG || ''), where,
          'NEWSEARCH_READY_MAX_LAG (--ready_max_lag) must be set');
    // Search follows ingest through its Service.
    const [ingestHost, ingestPort] = (sea.env.NEWSEARCH_INGEST_ADDRESS || '').split(':');
    check(ingestHost === 'newsearch-ingest' && ingestSvc &&
          ingestSvc.spec.ports.some((p) => p.port === Number(ingestPort)), where,
          `NEWSEARCH_INGEST_ADDRESS ${sea.env.NEWSEARCH_INGEST_ADDRESS} is not the ingest Service's gRPC port`);
    const headless = byKey.get(`Service/${search.spec.serviceName}`);
    if (check(headless, where, `serviceName ${search.spec.serviceName} has no Service`)) {
      check(headless.spec.clusterIP === 'None', `Service/${headless.metadata.name}`,
            'the governing Service must be headless');
      serviceSelects(headless, sea.podLabels, `Service/${headless.metadata.name}`);
    }
    // Disruption budget: one per StatefulSet, selecting its pods only.
    const pdb = get('PodDisruptionBudget', name);
    if (pdb) {
      check(labelsMatch(pdb.spec.selector, sea.podLabels), `PodDisruptionBudget/${name}`,
            'selector does not select the search pods');
      check(pdb.spec.maxUnavailable === 1, `PodDisruptionBudget/${name}`,
            'maxUnavailable must be 1: a drain keeps the other replicas answering');
    }
    if (args.partitions === 0) {
      const callers = get('Service', 'newsearch-search');
      if (callers) {
        check(callers.spec.clusterIP !== 'None', 'Service/newsearch-search', 'must be a ClusterIP Service');
        serviceSelects(callers, sea.podLabels, 'Service/newsearch-search');
        check(callers.spec.ports.some((p) => p.port === sea.grpcPort || p.targetPort === 'grpc'),
              'Service/newsearch-search', 'does not expose the gRPC port');
      }
      const hpa = get('HorizontalPodAutoscaler', 'newsearch-search');
      if (hpa) {
        const w = 'HorizontalPodAutoscaler/newsearch-search';
        check(hpa.apiVersion === 'autoscaling/v2', w, `apiVersion ${hpa.apiVersion}, want autoscaling/v2`);
        const ref = hpa.spec.scaleTargetRef || {};
        check(ref.kind === 'StatefulSet' && ref.name === 'newsearch-search', w,
              'must scale the newsearch-search StatefulSet');
        check(hpa.spec.minReplicas <= search.spec.replicas && search.spec.replicas <= hpa.spec.maxReplicas,
              w, 'StatefulSet replicas outside [minReplicas, maxReplicas]');
      }
      continue;
    }

    // A partition: --partition=K/P, and a shard port on the headless Service.
    check(sea.env.NEWSEARCH_PARTITION === `${k}/${args.partitions}`, where,
          `NEWSEARCH_PARTITION is ${sea.env.NEWSEARCH_PARTITION}, want ${k}/${args.partitions}`);
    check(!Object.keys(sea.podLabels).some((l) => l === 'app.kubernetes.io/name' &&
                                                 sea.podLabels[l] === 'newsearch-router'),
          where, 'partition pods carry the router label');
    const shardPort = portOf(sea.env.NEWSEARCH_SHARD_LISTEN);
    const container = search.spec.template.spec.containers.find((c) => c.name === 'search');
    if (check(shardPort, where, 'NEWSEARCH_SHARD_LISTEN (--shard_listen) is not host:port')) {
      check((container.ports || []).some((p) => p.name === 'shard' && p.containerPort === shardPort),
            where, 'container port "shard" must be the --shard_listen port');
      check(headless && headless.spec.ports.some((p) => p.port === shardPort), where,
            `the headless Service does not expose the shard port ${shardPort}`);
    }
    const replicas = [];
    for (let r = 0; r < search.spec.replicas; r++) {
      replicas.push(`${name}-${r}.${search.spec.serviceName}:${shardPort}`);
    }
    partitionShards.push({name, replicas, shardPort, podLabels: sea.podLabels});
  }

  if (args.partitions > 0) checkRouters();

  // NetworkPolicy: ingest's gRPC port only from search pods and writers.
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy' &&
                                         labelsMatch(o.spec.podSelector, ing.podLabels));
  check(policies.length > 0, 'NetworkPolicy', 'no NetworkPolicy selects the ingest pods');
  const writer = {'newsearch.io/ingest-writer': 'true'};
  const isSearch = (selector) => searchPods.some((labels) => labelsMatch(selector, labels));
  const searchAllowed = searchPods.map(() => false);
  let writerAllowed = false;
  for (const np of policies) {
    const where = `NetworkPolicy/${np.metadata.name}`;
    check((np.spec.policyTypes || []).includes('Ingress'), where, 'must restrict Ingress');
    check(!isSearch(np.spec.podSelector), where, 'also selects the search pods');
    for (const rule of np.spec.ingress || []) {
      const coversGrpc = !rule.ports || rule.ports.some((p) => p.port === ing.grpcPort || p.port === 'grpc');
      if (!coversGrpc) continue;
      if (!check(rule.from && rule.from.length > 0, where,
                 'a rule opens ingest\'s gRPC port to every pod')) {
        continue;
      }
      for (const peer of rule.from) {
        const ok = peer.podSelector && !peer.namespaceSelector && !peer.ipBlock &&
                   (isSearch(peer.podSelector) || labelsMatch(peer.podSelector, writer));
        check(ok, where, `a rule opens ingest's gRPC port to ${JSON.stringify(peer)}`);
        searchPods.forEach((labels, i) => {
          if (peer.podSelector && labelsMatch(peer.podSelector, labels)) searchAllowed[i] = true;
        });
        if (peer.podSelector && labelsMatch(peer.podSelector, writer)) writerAllowed = true;
      }
    }
  }
  check(searchPods.length > 0 && searchAllowed.every(Boolean), 'NetworkPolicy',
        'search pods cannot reach ingest\'s gRPC port');
  check(writerAllowed, 'NetworkPolicy', 'pods labelled newsearch.io/ingest-writer=true cannot reach ingest');
}

try {
  main();
} catch (e) {
  problems.push(e.stack || String(e));
}
const version = require('kubernetes-models/package.json').version;
if (problems.length) {
  for (const p of problems) console.log(`FAIL ${p}`);
  process.exit(1);
}
const note = pending.size ? `; agreed flags not in the binaries yet: ${[...pending].join(', ')}` : '';
console.log(`ok: ${path.basename(process.argv[2] || '')} valid (kubernetes-models ${version})${note}`);
