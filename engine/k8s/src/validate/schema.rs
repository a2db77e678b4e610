//! The field names the API declares for the kinds rollplay models, so a typo such as
//! `replicass` is rejected (as kube-apiserver's strict field validation does) instead of being
//! silently ignored. Kinds stored as applied (and custom kinds) have their metadata checked
//! and the rest of their fields left to the target.

use super::fields::PathSeg;
use rollplay_core::kind::Kind;

/// The shape of a field: anything, an object with known fields, a list, or an object whose
/// listed fields have a shape and whose other fields are free.
#[derive(Debug)]
pub enum Shape {
    Any,
    Object(&'static [(&'static str, &'static Shape)]),
    List(&'static Shape),
    Open(&'static [(&'static str, &'static Shape)]),
}

use Shape::{Any, List, Object, Open};

const ANY: &Shape = &Any;

const METADATA: &Shape = &Object(&[
    ("name", ANY),
    ("generateName", ANY),
    ("namespace", ANY),
    ("labels", ANY),
    ("annotations", ANY),
    ("uid", ANY),
    ("resourceVersion", ANY),
    ("generation", ANY),
    ("creationTimestamp", ANY),
    ("deletionTimestamp", ANY),
    ("deletionGracePeriodSeconds", ANY),
    ("ownerReferences", ANY),
    ("finalizers", ANY),
    ("managedFields", ANY),
    ("selfLink", ANY),
]);

const PROBE: &Shape = &Object(&[
    ("httpGet", ANY),
    ("tcpSocket", ANY),
    ("exec", ANY),
    ("grpc", ANY),
    ("initialDelaySeconds", ANY),
    ("periodSeconds", ANY),
    ("timeoutSeconds", ANY),
    ("successThreshold", ANY),
    ("failureThreshold", ANY),
    ("terminationGracePeriodSeconds", ANY),
]);

const RESOURCES: &Shape = &Object(&[("limits", ANY), ("requests", ANY), ("claims", ANY)]);

const CONTAINER: &Shape = &Object(&[
    ("name", ANY),
    ("image", ANY),
    ("command", ANY),
    ("args", ANY),
    ("workingDir", ANY),
    ("ports", ANY),
    ("env", ANY),
    ("envFrom", ANY),
    ("resources", RESOURCES),
    ("resizePolicy", ANY),
    ("restartPolicy", ANY),
    ("volumeMounts", ANY),
    ("volumeDevices", ANY),
    ("livenessProbe", PROBE),
    ("readinessProbe", PROBE),
    ("startupProbe", PROBE),
    ("lifecycle", ANY),
    ("terminationMessagePath", ANY),
    ("terminationMessagePolicy", ANY),
    ("imagePullPolicy", ANY),
    ("securityContext", ANY),
    ("stdin", ANY),
    ("stdinOnce", ANY),
    ("tty", ANY),
]);

const POD_SPEC: &Shape = &Object(&[
    ("volumes", ANY),
    ("initContainers", &List(CONTAINER)),
    ("containers", &List(CONTAINER)),
    ("ephemeralContainers", ANY),
    ("restartPolicy", ANY),
    ("terminationGracePeriodSeconds", ANY),
    ("activeDeadlineSeconds", ANY),
    ("dnsPolicy", ANY),
    ("nodeSelector", ANY),
    ("serviceAccountName", ANY),
    ("serviceAccount", ANY),
    ("automountServiceAccountToken", ANY),
    ("nodeName", ANY),
    ("hostNetwork", ANY),
    ("hostPID", ANY),
    ("hostIPC", ANY),
    ("shareProcessNamespace", ANY),
    ("securityContext", ANY),
    ("imagePullSecrets", ANY),
    ("hostname", ANY),
    ("subdomain", ANY),
    ("affinity", ANY),
    ("schedulerName", ANY),
    ("tolerations", ANY),
    ("hostAliases", ANY),
    ("priorityClassName", ANY),
    ("priority", ANY),
    ("dnsConfig", ANY),
    ("readinessGates", ANY),
    ("runtimeClassName", ANY),
    ("enableServiceLinks", ANY),
    ("preemptionPolicy", ANY),
    ("overhead", ANY),
    ("topologySpreadConstraints", ANY),
    ("setHostnameAsFQDN", ANY),
    ("os", ANY),
    ("hostUsers", ANY),
    ("schedulingGates", ANY),
    ("resourceClaims", ANY),
    ("resources", ANY),
]);

const POD_TEMPLATE: &Shape = &Object(&[("metadata", METADATA), ("spec", POD_SPEC)]);

const DEPLOYMENT_SPEC: &Shape = &Object(&[
    ("replicas", ANY),
    (
        "selector",
        &Object(&[("matchLabels", ANY), ("matchExpressions", ANY)]),
    ),
    ("template", POD_TEMPLATE),
    (
        "strategy",
        &Object(&[
            ("type", ANY),
            (
                "rollingUpdate",
                &Object(&[("maxSurge", ANY), ("maxUnavailable", ANY)]),
            ),
        ]),
    ),
    ("minReadySeconds", ANY),
    ("revisionHistoryLimit", ANY),
    ("paused", ANY),
    ("progressDeadlineSeconds", ANY),
]);

const SERVICE_SPEC: &Shape = &Object(&[
    ("ports", ANY),
    ("selector", ANY),
    ("clusterIP", ANY),
    ("clusterIPs", ANY),
    ("type", ANY),
    ("externalIPs", ANY),
    ("sessionAffinity", ANY),
    ("sessionAffinityConfig", ANY),
    ("loadBalancerIP", ANY),
    ("loadBalancerSourceRanges", ANY),
    ("loadBalancerClass", ANY),
    ("externalName", ANY),
    ("externalTrafficPolicy", ANY),
    ("internalTrafficPolicy", ANY),
    ("healthCheckNodePort", ANY),
    ("publishNotReadyAddresses", ANY),
    ("ipFamilies", ANY),
    ("ipFamilyPolicy", ANY),
    ("allocateLoadBalancerNodePorts", ANY),
    ("trafficDistribution", ANY),
]);

const HPA_SPEC: &Shape = &Object(&[
    (
        "scaleTargetRef",
        &Object(&[("apiVersion", ANY), ("kind", ANY), ("name", ANY)]),
    ),
    ("minReplicas", ANY),
    ("maxReplicas", ANY),
    ("metrics", ANY),
    ("behavior", ANY),
    ("targetCPUUtilizationPercentage", ANY),
]);

const PDB_SPEC: &Shape = &Object(&[
    ("minAvailable", ANY),
    ("maxUnavailable", ANY),
    ("selector", ANY),
    ("unhealthyPodEvictionPolicy", ANY),
]);

const DEPLOYMENT: &Shape = &Object(&[
    ("apiVersion", ANY),
    ("kind", ANY),
    ("metadata", METADATA),
    ("spec", DEPLOYMENT_SPEC),
    ("status", ANY),
]);
const SERVICE: &Shape = &Object(&[
    ("apiVersion", ANY),
    ("kind", ANY),
    ("metadata", METADATA),
    ("spec", SERVICE_SPEC),
    ("status", ANY),
]);
const HPA: &Shape = &Object(&[
    ("apiVersion", ANY),
    ("kind", ANY),
    ("metadata", METADATA),
    ("spec", HPA_SPEC),
    ("status", ANY),
]);
const PDB: &Shape = &Object(&[
    ("apiVersion", ANY),
    ("kind", ANY),
    ("metadata", METADATA),
    ("spec", PDB_SPEC),
    ("status", ANY),
]);
const CONFIG_MAP: &Shape = &Object(&[
    ("apiVersion", ANY),
    ("kind", ANY),
    ("metadata", METADATA),
    ("data", ANY),
    ("binaryData", ANY),
    ("immutable", ANY),
]);
const SECRET: &Shape = &Object(&[
    ("apiVersion", ANY),
    ("kind", ANY),
    ("metadata", METADATA),
    ("data", ANY),
    ("stringData", ANY),
    ("type", ANY),
    ("immutable", ANY),
]);
const SERVICE_ACCOUNT: &Shape = &Object(&[
    ("apiVersion", ANY),
    ("kind", ANY),
    ("metadata", METADATA),
    ("secrets", ANY),
    ("imagePullSecrets", ANY),
    ("automountServiceAccountToken", ANY),
]);
const ROLE: &Shape = &Object(&[
    ("apiVersion", ANY),
    ("kind", ANY),
    ("metadata", METADATA),
    ("rules", ANY),
    ("aggregationRule", ANY),
]);
const BINDING: &Shape = &Object(&[
    ("apiVersion", ANY),
    ("kind", ANY),
    ("metadata", METADATA),
    ("subjects", ANY),
    ("roleRef", ANY),
]);
const GENERIC: &Shape = &Object(&[
    ("apiVersion", ANY),
    ("kind", ANY),
    ("metadata", METADATA),
    ("spec", ANY),
    ("status", ANY),
]);

/// A kind the simulator stores as applied: its metadata is checked, its other fields are its own.
const STORED: &Shape = &Open(&[("metadata", METADATA)]);

/// The declared shape of a kind's objects.
pub fn shape_of(kind: Kind) -> &'static Shape {
    match kind {
        Kind::Deployment => DEPLOYMENT,
        Kind::Service => SERVICE,
        Kind::HorizontalPodAutoscaler => HPA,
        Kind::PodDisruptionBudget => PDB,
        Kind::ConfigMap => CONFIG_MAP,
        Kind::Secret => SECRET,
        Kind::ServiceAccount => SERVICE_ACCOUNT,
        Kind::Role | Kind::ClusterRole => ROLE,
        Kind::RoleBinding | Kind::ClusterRoleBinding => BINDING,
        Kind::Namespace => GENERIC,
        _ => STORED,
    }
}

/// The first field of `value` that `shape` does not declare, as a path, with the known names
/// at that level.
pub fn unknown_field(
    value: &serde_json::Value,
    shape: &Shape,
) -> Option<(Vec<PathSeg>, Vec<&'static str>)> {
    match (shape, value) {
        (Object(fields) | Open(fields), serde_json::Value::Object(map)) => {
            let open = matches!(shape, Open(_));
            for (key, child) in map {
                match fields.iter().find(|(name, _)| name == key) {
                    None if open => {}
                    None => {
                        return Some((
                            vec![PathSeg::Key(key.clone())],
                            fields.iter().map(|(n, _)| *n).collect(),
                        ));
                    }
                    Some((_, sub)) => {
                        if let Some((mut path, known)) = unknown_field(child, sub) {
                            path.insert(0, PathSeg::Key(key.clone()));
                            return Some((path, known));
                        }
                    }
                }
            }
            None
        }
        (List(item), serde_json::Value::Array(items)) => {
            items.iter().enumerate().find_map(|(i, v)| {
                unknown_field(v, item).map(|(mut path, known)| {
                    path.insert(0, PathSeg::Index(i));
                    (path, known)
                })
            })
        }
        _ => None,
    }
}
