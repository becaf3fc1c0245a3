#!/usr/bin/env python3
"""Consistency checks of the rendered Kubernetes manifests and the compose
file that no schema validator makes, and that need no cluster: what one file
names must exist in another (volumes, secrets, ports, the autoscaler's
target and metric, the flags of the programs), and every container must be
hardened alike. deploy/check-deploy.sh runs it; exit 1 lists what is wrong.

  check_manifests.py --k8s RENDERED.yaml [--k8s MORE.yaml] --compose compose.yaml
                     --metrics-source broker/metrics/metrics_text.cpp
                     [--help-of broker=FILE --help-of worker=FILE --help-of jobq=FILE]

With --help-of (each program's --help output, from the image that ships) the
flags the manifests pass are checked against the programs; without, that
check is skipped and said so.
"""

import argparse
import base64
import re
import sys

import yaml

BROKER_PORTS = {5555, 5556, 50051, 9464, 8081}
FLAG = re.compile(r"--[a-z][a-z0-9-]*")

# Ordered and without repeats: deploy/k8s-keda renders deploy/k8s's
# workloads again.
problems = {}


def problem(where, text):
    problems[f"{where}: {text}"] = None


def flags_of(args):
    return [FLAG.match(arg).group(0) for arg in args if FLAG.match(arg)]


def check_flags(where, program, args, helps):
    if program not in helps:
        return
    for flag in flags_of(args):
        if flag not in helps[program]:
            problem(where, f"{flag} is not a flag of {program} (not in its --help)")


def pod_labels_match(selector, labels):
    return all(labels.get(key) == value for key, value in selector.items())


def flag_value(args, flag):
    """The value of --flag=VALUE or --flag VALUE in args, or None."""
    for i, arg in enumerate(args):
        if arg.startswith(flag + "="):
            return arg[len(flag) + 1:]
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def container_env(container, secrets):
    """The container's environment: its env values and what envFrom Secrets hold."""
    env = {}
    for source in container.get("envFrom", []):
        ref = source.get("secretRef")
        if ref and ref["name"] in secrets:
            for key, value in secrets[ref["name"]].get("data", {}).items():
                env[key] = base64.b64decode(value).decode("utf-8", "replace")
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
    return env


def check_secret_refs(where, container, secrets):
    for source in container.get("envFrom", []):
        ref = source.get("secretRef")
        if ref and ref["name"] not in secrets:
            problem(where, f"envFrom names Secret {ref['name']}, which is not generated")
    for variable in container.get("env", []):
        ref = variable.get("valueFrom", {}).get("secretKeyRef")
        if ref is None:
            continue
        if ref["name"] not in secrets:
            problem(where, f"env {variable['name']}: no Secret {ref['name']}")
        elif ref["key"] not in secrets[ref["name"]].get("data", {}):
            problem(where, f"env {variable['name']}: Secret {ref['name']} has no key {ref['key']}")


def check_replicated_broker(where, doc, container, secrets, args):
    """Several broker replicas are one cluster only on a shared PostgreSQL store,
    and then a standby says NOT_SERVING: gRPC health must decide no probe."""
    store = flag_value(args, "--store") or container_env(container, secrets).get("JOBQ_STORE", "")
    if not store.startswith(("postgres://", "postgresql://")):
        problem(where, f"{doc['spec']['replicas']} replicas need a postgres store (--store or "
                       f"JOBQ_STORE), not {store or 'the default SQLite file'}: each would be a "
                       "broker of its own")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        if "grpc" in container.get(probe, {}):
            problem(where, f"{probe} is gRPC health, which a standby answers NOT_SERVING: it "
                           "would never be ready (rollouts and disruption budgets stall) or be "
                           "restarted; probe the health port with tcpSocket")


def check_workload(doc, secrets, helps):
    kind, name = doc["kind"], doc["metadata"]["name"]
    where = f"{kind}/{name}"
    spec = doc["spec"]
    template = spec["template"]
    pod = template["spec"]
    labels = template["metadata"].get("labels", {})
    if not pod_labels_match(spec["selector"]["matchLabels"], labels):
        problem(where, "selector does not match the pod template's labels")
    pod_security = pod.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True or not pod_security.get("runAsUser"):
        problem(where, "pod needs runAsNonRoot: true and a non-zero runAsUser")
    if pod.get("automountServiceAccountToken") is not False:
        problem(where, "jobq needs no Kubernetes API token: automountServiceAccountToken: false")
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for claim in spec.get("volumeClaimTemplates", []):
        volumes[claim["metadata"]["name"]] = {"claim": True}
    for volume in volumes.values():
        secret = volume.get("secret")
        if secret and secret["secretName"] not in secrets:
            problem(where, f"volume {volume['name']}: no Secret {secret['secretName']}")
    for container in pod["containers"]:
        cwhere = f"{where} container {container['name']}"
        security = container.get("securityContext", {})
        if security.get("readOnlyRootFilesystem") is not True:
            problem(cwhere, "needs readOnlyRootFilesystem: true")
        if security.get("allowPrivilegeEscalation") is not False:
            problem(cwhere, "needs allowPrivilegeEscalation: false")
        if "ALL" not in security.get("capabilities", {}).get("drop", []):
            problem(cwhere, "needs capabilities.drop: [ALL]")
        resources = container.get("resources", {})
        requests = resources.get("requests", {})
        if "cpu" not in requests or "memory" not in requests:
            problem(cwhere, "needs cpu and memory requests")
        if "memory" not in resources.get("limits", {}):
            problem(cwhere, "needs a memory limit")
        for mount in container.get("volumeMounts", []):
            if mount["name"] not in volumes:
                problem(cwhere, f"mounts {mount['name']}, which is no volume of the pod")
        port_numbers = {port["containerPort"] for port in container.get("ports", [])}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe in container and "grpc" in container[probe]:
                if container[probe]["grpc"]["port"] not in port_numbers:
                    problem(cwhere, f"{probe} probes a port the container does not declare")
        check_secret_refs(cwhere, container, secrets)
        args = container.get("args", [])
        if args and args[0] in ("broker", "worker"):
            check_flags(cwhere, args[0], args[1:], helps)
            if args[0] == "broker" and port_numbers != BROKER_PORTS:
                problem(cwhere, f"ports {sorted(port_numbers)}, not {sorted(BROKER_PORTS)}")
            if args[0] == "broker" and spec.get("replicas", 1) > 1:
                check_replicated_broker(cwhere, doc, container, secrets, args)


def check_k8s(docs, metrics_source, helps):
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    secrets = by_kind.get("Secret", {})
    workloads = {**by_kind.get("StatefulSet", {}), **by_kind.get("Deployment", {})}
    for doc in workloads.values():
        check_workload(doc, secrets, helps)
    check_broker_endpoints(by_kind)
    for name, budget in by_kind.get("PodDisruptionBudget", {}).items():
        where = f"PodDisruptionBudget/{name}"
        selected = [w for w in workloads.values()
                    if pod_labels_match(budget["spec"]["selector"]["matchLabels"],
                                        w["spec"]["template"]["metadata"]["labels"])]
        if not selected:
            problem(where, "selects no pods")
            continue
        replicas = sum(w["spec"].get("replicas", 1) for w in selected)
        minimum = budget["spec"].get("minAvailable")
        if isinstance(minimum, int) and minimum >= replicas:
            problem(where, f"minAvailable {minimum} of {replicas} pods: no eviction is ever "
                           "allowed, so node drains would hang")
    for name, doc in by_kind.get("StatefulSet", {}).items():
        governing = by_kind.get("Service", {}).get(doc["spec"]["serviceName"])
        if governing is None or governing["spec"].get("clusterIP") != "None":
            problem(f"StatefulSet/{name}", "serviceName must name a headless Service")
    for name, service in by_kind.get("Service", {}).items():
        selector = service["spec"]["selector"]
        pods = [w for w in workloads.values()
                if pod_labels_match(selector, w["spec"]["template"]["metadata"]["labels"])]
        if not pods:
            problem(f"Service/{name}", "selects no pods")
            continue
        port_names = {port.get("name") for w in pods
                      for c in w["spec"]["template"]["spec"]["containers"]
                      for port in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            if isinstance(target, str) and target not in port_names:
                problem(f"Service/{name}", f"targetPort {target} is no container port")
    if "jobq-broker" in by_kind.get("Service", {}):
        ports = {p["port"] for p in by_kind["Service"]["jobq-broker"]["spec"]["ports"]}
        if ports != BROKER_PORTS:
            problem("Service/jobq-broker", f"ports {sorted(ports)}, not {sorted(BROKER_PORTS)}")
    deployments = by_kind.get("Deployment", {})
    for name, hpa in by_kind.get("HorizontalPodAutoscaler", {}).items():
        where = f"HorizontalPodAutoscaler/{name}"
        target = hpa["spec"]["scaleTargetRef"]
        if target["kind"] != "Deployment" or target["name"] not in deployments:
            problem(where, f"scales {target['kind']}/{target['name']}, which is not rendered")
        for metric in hpa["spec"]["metrics"]:
            external = metric.get("external")
            if external is None:
                continue
            check_metric(where, external["metric"], metrics_source)
    for name, scaled in by_kind.get("ScaledObject", {}).items():
        where = f"ScaledObject/{name}"
        if scaled["spec"]["scaleTargetRef"]["name"] not in deployments:
            problem(where, "scales a Deployment that is not rendered")
        for trigger in scaled["spec"]["triggers"]:
            query = trigger["metadata"].get("query", "")
            for metric_name in re.findall(r"jobq_[a-z_]+", query):
                if f'"{metric_name}"' not in metrics_source:
                    problem(where, f"{metric_name} is not a metric of the broker")
    return by_kind


def check_broker_endpoints(by_kind):
    """Workers of a replicated broker StatefulSet list every one of its pods by
    name (only the leader accepts; the Service cannot tell which one leads), and
    the governing Service publishes those names before the pods are ready."""
    services = by_kind.get("Service", {})
    for name, broker in by_kind.get("StatefulSet", {}).items():
        replicas = broker["spec"].get("replicas", 1)
        containers = broker["spec"]["template"]["spec"]["containers"]
        if replicas < 2 or not any(c.get("args", [""])[0] == "broker" for c in containers):
            continue
        governing = broker["spec"]["serviceName"]
        if not services.get(governing, {}).get("spec", {}).get("publishNotReadyAddresses"):
            problem(f"Service/{governing}", "needs publishNotReadyAddresses: true, so that a "
                                            "broker pod's name resolves before it is ready")
        expected = {f"tcp://{name}-{i}.{governing}:5556" for i in range(replicas)}
        for worker_name, worker in by_kind.get("Deployment", {}).items():
            for container in worker["spec"]["template"]["spec"]["containers"]:
                args = container.get("args", [])
                if not args or args[0] != "worker":
                    continue
                listed = set((flag_value(args, "--broker") or "").split(","))
                if listed != expected:
                    problem(f"Deployment/{worker_name}",
                            f"--broker lists {sorted(listed)}, not every broker pod: "
                            f"{sorted(expected)}")


def check_metric(where, metric, metrics_source):
    name = metric["name"]
    if f'"{name}"' not in metrics_source:
        problem(where, f"{name} is not a metric of the broker (metrics_text.cpp)")
        return
    # The broker writes each sample as out.Sample("NAME", {{"label", ...}, ...}).
    samples = re.findall(r'out\.Sample\("' + re.escape(name) + r'",\s*(\{\{.*?\}\})', metrics_source,
                         re.S)
    label_names = set(re.findall(r'\{"([a-z_]+)",', " ".join(samples)))
    state_values = set(re.findall(r'\{"state",\s*"([a-z_]+)"\}', " ".join(samples)))
    selector = metric.get("selector", {})
    for key in selector.get("matchLabels", {}):
        if key not in label_names:
            problem(where, f"{name} has no label {key} (labels: {sorted(label_names)})")
    for expression in selector.get("matchExpressions", []):
        if expression["key"] not in label_names:
            problem(where, f"{name} has no label {expression['key']}")
        if expression["key"] == "state":
            for value in expression.get("values", []):
                if value not in state_values:
                    problem(where, f"{name} has no state {value} (states: {sorted(state_values)})")


def check_compose(compose, helps):
    declared = set(compose.get("secrets", {}))
    for name, service in compose["services"].items():
        where = f"compose service {name}"
        used = set(service.get("secrets", []))
        for secret in used - declared:
            problem(where, f"uses secret {secret}, which is not declared")
        text = yaml.safe_dump(service)
        for secret in set(re.findall(r"/run/secrets/([a-z_]+)", text)) - used:
            problem(where, f"reads /run/secrets/{secret} but does not list that secret")
        if service.get("read_only") is not True or "ALL" not in service.get("cap_drop", []):
            problem(where, "needs read_only: true and cap_drop: [ALL]")
        command = service.get("command", [])
        if isinstance(command, list) and command and command[0] in ("broker", "worker"):
            check_flags(where, command[0], command[1:], helps)
        test = service.get("healthcheck", {}).get("test", [])
        if len(test) > 1 and test[0] == "CMD" and test[1] == "jobq":
            check_flags(where + " healthcheck", "jobq", test[2:], helps)
        entrypoint = service.get("entrypoint", [])
        if "/usr/bin/jobq" in entrypoint:
            check_flags(where + " entrypoint", "jobq",
                        entrypoint[entrypoint.index("/usr/bin/jobq") + 1:], helps)
    check_compose_brokers(compose)


def check_compose_brokers(compose):
    """Several brokers: one shared postgres store, a name each, and every worker
    and producer given all of them."""
    services = compose["services"]
    brokers = {name: service for name, service in services.items()
               if isinstance(service.get("command"), list) and service["command"][:1] == ["broker"]}
    if len(brokers) < 2:
        return
    stores, names = set(), set()
    for name, service in brokers.items():
        where = f"compose service {name}"
        store = flag_value(service["command"], "--store") or ""
        stores.add(store)
        names.add(flag_value(service["command"], "--name"))
        if not store.startswith(("postgres://", "postgresql://")):
            problem(where, "several brokers need one postgres --store")
            continue
        host = re.sub(r"^postgres(ql)?://([^@/]*@)?", "", store).split(":")[0].split("/")[0]
        if host in services:
            condition = service.get("depends_on", {}).get(host, {}).get("condition")
            if condition != "service_healthy":
                problem(where, f"should wait for {host}: depends_on condition service_healthy")
    if len(stores) != 1:
        problem("compose brokers", f"they must share one store, not {sorted(stores)}")
    if len(names) != len(brokers) or None in names:
        problem("compose brokers", "each needs a --name of its own")
    for name, service in services.items():
        command = service.get("command") if isinstance(service.get("command"), list) else []
        lists = []
        if command[:1] == ["worker"]:
            lists.append(("--broker", flag_value(command, "--broker"), 5556))
        if "JOBQ_BROKER" in service.get("environment", {}):
            lists.append(("JOBQ_BROKER", service["environment"]["JOBQ_BROKER"], 5555))
        entrypoint = service.get("entrypoint", [])
        if "/usr/bin/jobq" in entrypoint:
            lists.append(("--broker", flag_value(entrypoint, "--broker"), 5555))
        for what, value, port in lists:
            expected = {f"tcp://{broker}:{port}" for broker in brokers}
            if set((value or "").split(",")) != expected:
                problem(f"compose service {name}",
                        f"{what} is {value}, not every broker: {','.join(sorted(expected))}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k8s", action="append", default=[], help="rendered manifests")
    parser.add_argument("--compose", required=True)
    parser.add_argument("--metrics-source", required=True)
    parser.add_argument("--help-of", dest="helps", action="append", default=[],
                        metavar="PROGRAM=FILE")
    options = parser.parse_args()
    helps = {}
    for item in options.helps:
        program, path = item.split("=", 1)
        with open(path, encoding="utf-8") as file:
            helps[program] = set(FLAG.findall(file.read()))
    with open(options.metrics_source, encoding="utf-8") as file:
        metrics_source = file.read()
    kinds = set()
    for path in options.k8s:
        with open(path, encoding="utf-8") as file:
            docs = [doc for doc in yaml.safe_load_all(file) if doc]
        kinds |= set(check_k8s(docs, metrics_source, helps))
    with open(options.compose, encoding="utf-8") as file:
        check_compose(yaml.safe_load(file), helps)
    flags = "checked against " + ", ".join(sorted(helps)) if helps else "not checked (no --help-of)"
    if problems:
        print("\n".join(f"check_manifests: {line}" for line in problems))
        print(f"check_manifests: {len(problems)} problems; flags {flags}")
        return 1
    print(f"check_manifests: OK ({', '.join(sorted(kinds))}; compose); flags {flags}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
