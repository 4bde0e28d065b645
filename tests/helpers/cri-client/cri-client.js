#!/usr/bin/env node
// A small CRI v1 client for the tests: the RuntimeService calls a kubelet makes for a pod's
// life, one per invocation, against a containerd (or CRI-O) socket. crictl is not packaged in
// Debian 12; this is the part of it the tests need. Requests are JSON in the CRI's own field
// names (snake_case, as in api.proto; enums by name); answers are JSON, except that runp and
// create print the new id alone (as crictl does) and exec prints the command's output and
// exits with its code.
//
//   cri-client [--socket PATH] [--timeout SECS] VERB ARGS...
//     version | status                       the runtime's version / conditions
//     runp POD.json [HANDLER]                RunPodSandbox (HANDLER: runtime_handler) -> id
//     stopp POD_ID | rmp POD_ID              StopPodSandbox / RemovePodSandbox
//     inspectp POD_ID                        PodSandboxStatus, verbose (.status.network.ip)
//     pods                                   ListPodSandbox
//     create POD_ID CTR.json POD.json        CreateContainer -> id
//     start ID | rm ID                       StartContainer / RemoveContainer
//     stop ID [TIMEOUT]                      StopContainer (TIMEOUT seconds before SIGKILL)
//     inspect ID                             ContainerStatus, verbose
//     ps [POD_ID]                            ListContainers
//     exec [--json] [--timeout N] ID CMD...  ExecSync: CMD's stdout/stderr and exit code
//     inspecti IMAGE                         ImageStatus (.image is null for an unknown one)
//   and two that make several calls, as a kubelet does for a whole pod:
//     podup [--count N] POD.json HANDLER CTR.json...
//                      RunPodSandbox, then each container created and started in order; with
//                      --count, N such pods at once (names NAME-0.., fresh uids). Prints one
//                      {"pod", "containers", "ms", "error"} per pod, ms the wall time of its
//                      calls; exits 1 if any pod failed
//     down [--grace SECS] [POD_ID...]
//                      each pod (default: all) stopped and removed: StopContainer (SECS before
//                      SIGKILL, default 10) and RemoveContainer for each of its containers,
//                      StopPodSandbox, RemovePodSandbox; pods at once. Prints the errors of
//                      each; exits 1 if there were any
//
// The socket defaults to $CRI_SOCK. A failed call prints "cri-client: VERB: CODE: details"
// on stderr (details as the runtime gave them) and exits 1; a usage error exits 2.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function usage(msg) {
  process.stderr.write(`cri-client: ${msg}\n`);
  process.exit(2);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    usage(`${file}: ${e.message}`);
  }
}

function loadServices() {
  const def = protoLoader.loadSync(path.join(__dirname, 'cri.proto'), {
    keepCase: true, // the CRI's own names, as in api.proto and in the tests' JSON
    longs: String,
    enums: String,
    defaults: true, // a zero enum (SANDBOX_READY, CONTAINER_CREATED) is printed, not dropped
  });
  return grpc.loadPackageDefinition(def).runtime.v1;
}

function call(client, method, request, seconds) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + seconds * 1000);
    client[method](request, { deadline }, (err, reply) => (err ? reject(err) : resolve(reply)));
  });
}

function errorText(err) {
  return `${grpc.status[err.code] || err.code}: ${err.details || err.message}`;
}

// Copy number COPY of a pod config: its own name and uid (which also names the pod's cgroup and log
// directory, as a kubelet makes them).
function podCopy(config, copy) {
  const uid = crypto.randomUUID();
  const json = JSON.stringify(config).split(config.metadata.uid).join(uid);
  const c = JSON.parse(json);
  c.metadata.name = `${config.metadata.name}-${copy}`;
  return c;
}

async function podUp(client, pod, handler, containers, seconds) {
  const t0 = process.hrtime.bigint();
  const out = { pod: '', containers: [] };
  try {
    const reply = await call(client, 'RunPodSandbox', { config: pod, runtime_handler: handler }, seconds);
    out.pod = reply.pod_sandbox_id;
    for (const config of containers) {
      const created = await call(
        client, 'CreateContainer', { pod_sandbox_id: out.pod, config, sandbox_config: pod }, seconds);
      out.containers.push(created.container_id);
      await call(client, 'StartContainer', { container_id: created.container_id }, seconds);
    }
  } catch (err) {
    out.error = errorText(err);
  }
  out.ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return out;
}

async function podDown(client, podId, grace, seconds) {
  const errors = [];
  const noted = (p) => p.catch((err) => errors.push(errorText(err)));
  const list = await noted(call(client, 'ListContainers', { filter: { pod_sandbox_id: podId } }, seconds));
  for (const c of (list && list.containers) || []) {
    await noted(call(client, 'StopContainer', { container_id: c.id, timeout: grace }, seconds + grace));
    await noted(call(client, 'RemoveContainer', { container_id: c.id }, seconds));
  }
  await noted(call(client, 'StopPodSandbox', { pod_sandbox_id: podId }, seconds));
  await noted(call(client, 'RemovePodSandbox', { pod_sandbox_id: podId }, seconds));
  return { pod: podId, errors };
}

// A verbose status's info values are JSON documents in strings: shown as JSON.
function parseInfo(reply) {
  for (const [k, v] of Object.entries(reply.info || {})) {
    try {
      reply.info[k] = JSON.parse(v);
    } catch (e) {
      /* not JSON: kept as the runtime gave it */
    }
  }
  return reply;
}

function print(obj) {
  process.stdout.write(JSON.stringify(obj, null, 2) + '\n');
}

async function main(argv) {
  let socket = process.env.CRI_SOCK || '';
  let timeout = 120;
  while (argv.length && argv[0].startsWith('--')) {
    const flag = argv.shift();
    if (flag === '--socket') socket = argv.shift() || '';
    else if (flag === '--timeout') timeout = Number(argv.shift());
    else usage(`unknown flag ${flag}`);
  }
  if (!socket) usage('no socket: give --socket PATH or set CRI_SOCK');
  if (!(timeout > 0)) usage('--timeout needs a number of seconds');
  const verb = argv.shift();
  if (!verb) usage('no verb (version, status, runp, stopp, rmp, inspectp, pods, create, start, stop, rm, inspect, ps, exec, inspecti, podup, down)');
  const need = (n, what) => {
    if (argv.length < n) usage(`${verb}: usage: ${verb} ${what}`);
  };

  const services = loadServices();
  const creds = grpc.credentials.createInsecure();
  const client = new services.RuntimeService(`unix:${socket}`, creds);
  const images = new services.ImageService(`unix:${socket}`, creds);
  const rpc = (method, request, seconds = timeout, on = client) =>
    call(on, method, request, seconds).catch((err) => {
      const code = grpc.status[err.code] || err.code;
      process.stderr.write(`cri-client: ${verb}: ${code}: ${err.details || err.message}\n`);
      process.exit(1);
    });

  switch (verb) {
    case 'version':
      print(await rpc('Version', { version: 'v1' }));
      break;
    case 'status':
      print(await rpc('Status', { verbose: false }));
      break;
    case 'runp': {
      need(1, 'POD.json [HANDLER]');
      const reply = await rpc('RunPodSandbox', { config: readJson(argv[0]), runtime_handler: argv[1] || '' });
      console.log(reply.pod_sandbox_id);
      break;
    }
    case 'stopp':
      need(1, 'POD_ID');
      await rpc('StopPodSandbox', { pod_sandbox_id: argv[0] });
      break;
    case 'rmp':
      need(1, 'POD_ID');
      await rpc('RemovePodSandbox', { pod_sandbox_id: argv[0] });
      break;
    case 'inspectp': {
      need(1, 'POD_ID');
      print(parseInfo(await rpc('PodSandboxStatus', { pod_sandbox_id: argv[0], verbose: true })));
      break;
    }
    case 'inspecti': {
      need(1, 'IMAGE');
      // An image the runtime does not know is no error: the reply has no image (.image null).
      print(await rpc('ImageStatus', { image: { image: argv[0] } }, timeout, images));
      break;
    }
    case 'pods':
      print(await rpc('ListPodSandbox', {}));
      break;
    case 'create': {
      need(3, 'POD_ID CTR.json POD.json');
      const reply = await rpc('CreateContainer', {
        pod_sandbox_id: argv[0],
        config: readJson(argv[1]),
        sandbox_config: readJson(argv[2]),
      });
      console.log(reply.container_id);
      break;
    }
    case 'start':
      need(1, 'ID');
      await rpc('StartContainer', { container_id: argv[0] });
      break;
    case 'stop':
      need(1, 'ID [TIMEOUT]');
      await rpc('StopContainer', { container_id: argv[0], timeout: Number(argv[1] || 0) });
      break;
    case 'rm':
      need(1, 'ID');
      await rpc('RemoveContainer', { container_id: argv[0] });
      break;
    case 'inspect': {
      need(1, 'ID');
      print(parseInfo(await rpc('ContainerStatus', { container_id: argv[0], verbose: true })));
      break;
    }
    case 'ps':
      print(await rpc('ListContainers', { filter: argv[0] ? { pod_sandbox_id: argv[0] } : {} }));
      break;
    case 'podup': {
      let count = 0;
      if (argv[0] === '--count') {
        argv.shift();
        count = Number(argv.shift());
        if (!(count >= 1)) usage('podup: --count needs a number of pods');
      }
      need(2, '[--count N] POD.json HANDLER CTR.json...');
      const [podFile, handler, ...ctrFiles] = argv;
      const pod = readJson(podFile);
      const containers = ctrFiles.map(readJson);
      const pods = count ? Array.from({ length: count }, (_, i) => podCopy(pod, i)) : [pod];
      const results = await Promise.all(pods.map((p) => podUp(client, p, handler, containers, timeout)));
      print(results);
      if (results.some((r) => r.error)) process.exitCode = 1;
      break;
    }
    case 'down': {
      let grace = 10;
      if (argv[0] === '--grace') {
        argv.shift();
        grace = Number(argv.shift());
        if (!(grace >= 0)) usage('down: --grace needs a number of seconds');
      }
      const ids = argv.length ? argv : (await rpc('ListPodSandbox', {})).items.map((p) => p.id);
      const results = await Promise.all(ids.map((id) => podDown(client, id, grace, timeout)));
      print(results);
      if (results.some((r) => r.errors.length)) process.exitCode = 1;
      break;
    }
    case 'exec': {
      let json = false;
      let secs = 60;
      while (argv.length && argv[0].startsWith('--')) {
        const flag = argv.shift();
        if (flag === '--json') json = true;
        else if (flag === '--timeout') secs = Number(argv.shift());
        else if (flag === '--') break;
        else usage(`exec: unknown flag ${flag}`);
      }
      need(2, '[--json] [--timeout N] ID CMD...');
      const [id, ...cmd] = argv;
      // The call's own deadline outlasts the command's, so that a timeout is the runtime's.
      const reply = await rpc('ExecSync', { container_id: id, cmd, timeout: secs }, secs + 30);
      const stdout = Buffer.from(reply.stdout).toString('utf8');
      const stderr = Buffer.from(reply.stderr).toString('utf8');
      if (json) {
        print({ stdout, stderr, exit_code: reply.exit_code });
      } else {
        process.stdout.write(stdout);
        process.stderr.write(stderr);
        process.exitCode = reply.exit_code;
      }
      break;
    }
    default:
      usage(`unknown verb ${verb}`);
  }
  client.close();
  images.close();
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`cri-client: ${e.stack || e}\n`);
  process.exit(1);
});
