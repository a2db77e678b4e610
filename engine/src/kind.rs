//! The object kinds rollplay knows, with their API versions, names and apply order.

use std::fmt;

/// A Kubernetes object kind the simulator stores (and the other targets map onto).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Namespace,
    ConfigMap,
    Secret,
    ServiceAccount,
    Role,
    RoleBinding,
    ClusterRole,
    ClusterRoleBinding,
    Service,
    Deployment,
    ReplicaSet,
    Pod,
    HorizontalPodAutoscaler,
    PodDisruptionBudget,
    Event,
    EndpointSlice,
}

pub const ALL_KINDS: [Kind; 16] = [
    Kind::Namespace,
    Kind::ConfigMap,
    Kind::Secret,
    Kind::ServiceAccount,
    Kind::Role,
    Kind::RoleBinding,
    Kind::ClusterRole,
    Kind::ClusterRoleBinding,
    Kind::Service,
    Kind::Deployment,
    Kind::ReplicaSet,
    Kind::Pod,
    Kind::HorizontalPodAutoscaler,
    Kind::PodDisruptionBudget,
    Kind::Event,
    Kind::EndpointSlice,
];

impl Kind {
    /// The `kind:` field as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::Role => "Role",
            Kind::RoleBinding => "RoleBinding",
            Kind::ClusterRole => "ClusterRole",
            Kind::ClusterRoleBinding => "ClusterRoleBinding",
            Kind::Service => "Service",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Pod => "Pod",
            Kind::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
            Kind::PodDisruptionBudget => "PodDisruptionBudget",
            Kind::Event => "Event",
            Kind::EndpointSlice => "EndpointSlice",
        }
    }

    /// The API group ("" for the core group).
    pub fn group(self) -> &'static str {
        match self {
            Kind::Deployment | Kind::ReplicaSet => "apps",
            Kind::Role | Kind::RoleBinding | Kind::ClusterRole | Kind::ClusterRoleBinding => {
                "rbac.authorization.k8s.io"
            }
            Kind::HorizontalPodAutoscaler => "autoscaling",
            Kind::PodDisruptionBudget => "policy",
            Kind::EndpointSlice => "discovery.k8s.io",
            _ => "",
        }
    }

    /// The served version used when the simulator renders objects.
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Deployment | Kind::ReplicaSet => "apps/v1",
            Kind::Role | Kind::RoleBinding | Kind::ClusterRole | Kind::ClusterRoleBinding => {
                "rbac.authorization.k8s.io/v1"
            }
            Kind::HorizontalPodAutoscaler => "autoscaling/v2",
            Kind::PodDisruptionBudget => "policy/v1",
            Kind::EndpointSlice => "discovery.k8s.io/v1",
            _ => "v1",
        }
    }

    /// Whether `apiVersion` is one the API serves for this kind.
    pub fn accepts_api_version(self, api_version: &str) -> bool {
        match self {
            Kind::HorizontalPodAutoscaler => {
                matches!(api_version, "autoscaling/v2" | "autoscaling/v1")
            }
            Kind::Event => matches!(api_version, "v1" | "events.k8s.io/v1"),
            _ => api_version == self.api_version(),
        }
    }

    /// Lower-case plural used in URLs and by kubectl (`deployments`).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Namespace => "namespaces",
            Kind::ConfigMap => "configmaps",
            Kind::Secret => "secrets",
            Kind::ServiceAccount => "serviceaccounts",
            Kind::Role => "roles",
            Kind::RoleBinding => "rolebindings",
            Kind::ClusterRole => "clusterroles",
            Kind::ClusterRoleBinding => "clusterrolebindings",
            Kind::Service => "services",
            Kind::Deployment => "deployments",
            Kind::ReplicaSet => "replicasets",
            Kind::Pod => "pods",
            Kind::HorizontalPodAutoscaler => "horizontalpodautoscalers",
            Kind::PodDisruptionBudget => "poddisruptionbudgets",
            Kind::Event => "events",
            Kind::EndpointSlice => "endpointslices",
        }
    }

    /// Lower-case singular, as in `deployment/web`.
    pub fn singular(self) -> String {
        self.name().to_ascii_lowercase()
    }

    pub fn namespaced(self) -> bool {
        !matches!(
            self,
            Kind::Namespace | Kind::ClusterRole | Kind::ClusterRoleBinding
        )
    }

    /// Controllers create these; users do not apply them.
    pub fn is_controller_owned(self) -> bool {
        matches!(
            self,
            Kind::ReplicaSet | Kind::Pod | Kind::Event | Kind::EndpointSlice
        )
    }

    /// Apply order of a batch, the order Helm installs in: namespaces first, workloads after the
    /// configuration they mount, autoscalers after their targets.
    pub fn install_rank(self) -> u8 {
        match self {
            Kind::Namespace => 0,
            Kind::PodDisruptionBudget => 1,
            Kind::ServiceAccount => 2,
            Kind::Secret => 3,
            Kind::ConfigMap => 4,
            Kind::ClusterRole => 5,
            Kind::ClusterRoleBinding => 6,
            Kind::Role => 7,
            Kind::RoleBinding => 8,
            Kind::Service => 9,
            Kind::Pod => 10,
            Kind::ReplicaSet => 11,
            Kind::Deployment => 12,
            Kind::HorizontalPodAutoscaler => 13,
            Kind::EndpointSlice => 14,
            Kind::Event => 15,
        }
    }

    /// Resolves what users type: `deploy`, `deployments`, `Deployment`, `svc`, `hpa`, ...
    pub fn parse(text: &str) -> Option<Kind> {
        let t = text.to_ascii_lowercase();
        let t = t.split('.').next().unwrap_or_default();
        Some(match t {
            "namespace" | "namespaces" | "ns" => Kind::Namespace,
            "configmap" | "configmaps" | "cm" => Kind::ConfigMap,
            "secret" | "secrets" => Kind::Secret,
            "serviceaccount" | "serviceaccounts" | "sa" => Kind::ServiceAccount,
            "role" | "roles" => Kind::Role,
            "rolebinding" | "rolebindings" => Kind::RoleBinding,
            "clusterrole" | "clusterroles" => Kind::ClusterRole,
            "clusterrolebinding" | "clusterrolebindings" => Kind::ClusterRoleBinding,
            "service" | "services" | "svc" => Kind::Service,
            "deployment" | "deployments" | "deploy" => Kind::Deployment,
            "replicaset" | "replicasets" | "rs" => Kind::ReplicaSet,
            "pod" | "pods" | "po" => Kind::Pod,
            "horizontalpodautoscaler" | "horizontalpodautoscalers" | "hpa" => {
                Kind::HorizontalPodAutoscaler
            }
            "poddisruptionbudget" | "poddisruptionbudgets" | "pdb" => Kind::PodDisruptionBudget,
            "event" | "events" | "ev" => Kind::Event,
            "endpointslice" | "endpointslices" => Kind::EndpointSlice,
            _ => return None,
        })
    }

    /// `Deployment.apps` as the API names a resource in error messages.
    pub fn qualified(self) -> String {
        match self.group() {
            "" => self.name().to_string(),
            g => format!("{}.{}", self.name(), g),
        }
    }

    pub fn known_names() -> String {
        ALL_KINDS
            .iter()
            .map(|k| k.singular())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
