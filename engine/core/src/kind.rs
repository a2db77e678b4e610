//! Object kinds: every built-in kind of the Kubernetes API (its group, version, plural, short
//! names, scope and install order), and custom kinds, which a target knows only through a CRD.

use std::cmp::Ordering;
use std::fmt;
use std::sync::RwLock;

/// What the API says about a built-in kind.
#[derive(Debug)]
struct Builtin {
    name: &'static str,
    /// `apps/v1`, or `v1` for the core group.
    api_version: &'static str,
    plural: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
}

macro_rules! builtin_kinds {
    ($($variant:ident: $api_version:literal, $plural:literal, [$($short:literal),*], $scope:ident;)*) => {
        /// A kind of object. Built-in kinds are variants, listed in the order Helm installs
        /// them (namespaces first, workloads after the configuration they mount, autoscalers
        /// after their targets); custom kinds come after every built-in one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $($variant,)*
            /// A kind no built-in API serves: a custom resource, known to a cluster through
            /// its CustomResourceDefinition.
            Custom(CustomKind),
        }

        /// Every built-in kind, in install order.
        pub const BUILTIN_KINDS: &[Kind] = &[$(Kind::$variant),*];

        impl Kind {
            fn builtin(self) -> Option<&'static Builtin> {
                match self {
                    $(Kind::$variant => Some(&Builtin {
                        name: stringify!($variant),
                        api_version: $api_version,
                        plural: $plural,
                        short: &[$($short),*],
                        namespaced: builtin_kinds!(@scope $scope),
                    }),)*
                    Kind::Custom(_) => None,
                }
            }

            /// The position in the table (the install order); custom kinds after all.
            fn table_position(self) -> usize {
                let mut position = 0;
                $(
                    if matches!(self, Kind::$variant) {
                        return position;
                    }
                    position += 1;
                )*
                position
            }
        }
    };
    (@scope namespaced) => { true };
    (@scope cluster) => { false };
}

builtin_kinds! {
    Namespace: "v1", "namespaces", ["ns"], cluster;
    NetworkPolicy: "networking.k8s.io/v1", "networkpolicies", ["netpol"], namespaced;
    ResourceQuota: "v1", "resourcequotas", ["quota"], namespaced;
    LimitRange: "v1", "limitranges", ["limits"], namespaced;
    PodDisruptionBudget: "policy/v1", "poddisruptionbudgets", ["pdb"], namespaced;
    ServiceAccount: "v1", "serviceaccounts", ["sa"], namespaced;
    Secret: "v1", "secrets", [], namespaced;
    ConfigMap: "v1", "configmaps", ["cm"], namespaced;
    StorageClass: "storage.k8s.io/v1", "storageclasses", ["sc"], cluster;
    PersistentVolume: "v1", "persistentvolumes", ["pv"], cluster;
    PersistentVolumeClaim: "v1", "persistentvolumeclaims", ["pvc"], namespaced;
    CustomResourceDefinition: "apiextensions.k8s.io/v1", "customresourcedefinitions", ["crd", "crds"], cluster;
    ClusterRole: "rbac.authorization.k8s.io/v1", "clusterroles", [], cluster;
    ClusterRoleBinding: "rbac.authorization.k8s.io/v1", "clusterrolebindings", [], cluster;
    Role: "rbac.authorization.k8s.io/v1", "roles", [], namespaced;
    RoleBinding: "rbac.authorization.k8s.io/v1", "rolebindings", [], namespaced;
    Service: "v1", "services", ["svc"], namespaced;
    DaemonSet: "apps/v1", "daemonsets", ["ds"], namespaced;
    Pod: "v1", "pods", ["po"], namespaced;
    ReplicationController: "v1", "replicationcontrollers", ["rc"], namespaced;
    ReplicaSet: "apps/v1", "replicasets", ["rs"], namespaced;
    Deployment: "apps/v1", "deployments", ["deploy"], namespaced;
    HorizontalPodAutoscaler: "autoscaling/v2", "horizontalpodautoscalers", ["hpa"], namespaced;
    StatefulSet: "apps/v1", "statefulsets", ["sts"], namespaced;
    Job: "batch/v1", "jobs", [], namespaced;
    CronJob: "batch/v1", "cronjobs", ["cj"], namespaced;
    IngressClass: "networking.k8s.io/v1", "ingressclasses", [], cluster;
    Ingress: "networking.k8s.io/v1", "ingresses", ["ing"], namespaced;
    APIService: "apiregistration.k8s.io/v1", "apiservices", [], cluster;
    MutatingWebhookConfiguration: "admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations", [], cluster;
    ValidatingWebhookConfiguration: "admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", [], cluster;
    ValidatingAdmissionPolicy: "admissionregistration.k8s.io/v1", "validatingadmissionpolicies", [], cluster;
    ValidatingAdmissionPolicyBinding: "admissionregistration.k8s.io/v1", "validatingadmissionpolicybindings", [], cluster;
    PriorityClass: "scheduling.k8s.io/v1", "priorityclasses", ["pc"], cluster;
    RuntimeClass: "node.k8s.io/v1", "runtimeclasses", [], cluster;
    PodTemplate: "v1", "podtemplates", [], namespaced;
    ControllerRevision: "apps/v1", "controllerrevisions", [], namespaced;
    Lease: "coordination.k8s.io/v1", "leases", [], namespaced;
    CSIDriver: "storage.k8s.io/v1", "csidrivers", [], cluster;
    CSINode: "storage.k8s.io/v1", "csinodes", [], cluster;
    CSIStorageCapacity: "storage.k8s.io/v1", "csistoragecapacities", [], namespaced;
    VolumeAttachment: "storage.k8s.io/v1", "volumeattachments", [], cluster;
    CertificateSigningRequest: "certificates.k8s.io/v1", "certificatesigningrequests", ["csr"], cluster;
    FlowSchema: "flowcontrol.apiserver.k8s.io/v1", "flowschemas", [], cluster;
    PriorityLevelConfiguration: "flowcontrol.apiserver.k8s.io/v1", "prioritylevelconfigurations", [], cluster;
    Node: "v1", "nodes", ["no"], cluster;
    Endpoints: "v1", "endpoints", ["ep"], namespaced;
    EndpointSlice: "discovery.k8s.io/v1", "endpointslices", [], namespaced;
    Event: "v1", "events", ["ev"], namespaced;
}

/// A custom kind: group, version and kind as a manifest names them. Interned, so `Kind` stays
/// a small `Copy` value; ordered by its names, never by when it was first seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CustomKind(u32);

#[derive(Debug)]
struct CustomNames {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    api_version: &'static str,
    plural: &'static str,
    qualified: &'static str,
}

/// The custom kinds met so far. A process meets few (one per CRD kind in its manifests); their
/// names live as long as the process, like the built-in ones.
static CUSTOM: RwLock<Vec<&'static CustomNames>> = RwLock::new(Vec::new());

impl CustomKind {
    fn intern(group: &str, version: &str, kind: &str) -> CustomKind {
        let same = |c: &&CustomNames| c.group == group && c.version == version && c.kind == kind;
        if let Some(i) = CUSTOM
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .position(same)
        {
            return CustomKind(i as u32);
        }
        let mut all = CUSTOM.write().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = all.iter().position(same) {
            return CustomKind(i as u32);
        }
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        all.push(Box::leak(Box::new(CustomNames {
            group: leak(group.to_string()),
            version: leak(version.to_string()),
            kind: leak(kind.to_string()),
            api_version: leak(format!("{group}/{version}")),
            plural: leak(format!("{}s", kind.to_ascii_lowercase())),
            qualified: leak(format!("{kind}.{group}")),
        })));
        CustomKind((all.len() - 1) as u32)
    }

    fn names(self) -> &'static CustomNames {
        CUSTOM.read().unwrap_or_else(|e| e.into_inner())[self.0 as usize]
    }
}

impl PartialOrd for CustomKind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CustomKind {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.names(), other.names());
        (a.group, a.kind, a.version).cmp(&(b.group, b.kind, b.version))
    }
}

impl Kind {
    /// The kind a manifest's `apiVersion` and `kind` name: a built-in kind when its group
    /// serves one of that name, otherwise a custom kind.
    pub fn resolve(api_version: &str, kind: &str) -> Kind {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let builtin = BUILTIN_KINDS.iter().copied().find(|k| {
            k.name() == kind
                && (k.group() == group || (*k == Kind::Event && group == "events.k8s.io"))
        });
        builtin.unwrap_or_else(|| Kind::Custom(CustomKind::intern(group, version, kind)))
    }

    /// The `kind:` field as the API spells it.
    pub fn name(self) -> &'static str {
        match self.builtin() {
            Some(b) => b.name,
            None => self.custom().kind,
        }
    }

    fn custom(self) -> &'static CustomNames {
        match self {
            Kind::Custom(c) => c.names(),
            _ => unreachable!("built-in kinds have a table entry"),
        }
    }

    pub fn is_custom(self) -> bool {
        matches!(self, Kind::Custom(_))
    }

    /// The API group ("" for the core group).
    pub fn group(self) -> &'static str {
        match self.builtin() {
            Some(b) => b
                .api_version
                .rsplit_once('/')
                .map_or("", |(group, _)| group),
            None => self.custom().group,
        }
    }

    /// The served version, as objects are rendered (`apps/v1`, `v1`).
    pub fn api_version(self) -> &'static str {
        match self.builtin() {
            Some(b) => b.api_version,
            None => self.custom().api_version,
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
        match self.builtin() {
            Some(b) => b.plural,
            None => self.custom().plural,
        }
    }

    /// The resource as API messages and RBAC name it: `deployments.apps`, `pods`.
    pub fn resource(self) -> String {
        match self.group() {
            "" => self.plural().to_string(),
            group => format!("{}.{group}", self.plural()),
        }
    }

    /// The short names kubectl accepts for it (`deploy`, `svc`); none for custom kinds.
    pub fn short_names(self) -> &'static [&'static str] {
        self.builtin().map_or(&[], |b| b.short)
    }

    /// Lower-case singular, as in `deployment/web`.
    pub fn singular(self) -> String {
        self.name().to_ascii_lowercase()
    }

    /// Cluster-scoped kinds have no namespace. A custom kind's scope is its CRD's; until a
    /// target says otherwise it is taken as namespaced, as most are.
    pub fn namespaced(self) -> bool {
        self.builtin().is_none_or(|b| b.namespaced)
    }

    /// Controllers and the API server create these; users do not apply them.
    pub fn is_controller_owned(self) -> bool {
        matches!(
            self,
            Kind::ReplicaSet
                | Kind::Pod
                | Kind::Event
                | Kind::EndpointSlice
                | Kind::Endpoints
                | Kind::ControllerRevision
                | Kind::Node
        )
    }

    /// Apply order of a batch: the order of the variants (Helm's install order), custom
    /// resources last, after the CRDs that define them.
    pub fn install_rank(self) -> usize {
        self.table_position()
    }

    /// Resolves what users type: `deploy`, `deployments`, `Deployment`, `svc`, `hpa`,
    /// `deployments.apps`, ...; and a custom kind some manifest of this process named
    /// (`widget`, `widgets.example.com`).
    pub fn parse(text: &str) -> Option<Kind> {
        let t = text.to_ascii_lowercase();
        let (word, group) = t.split_once('.').unwrap_or((&t, ""));
        let builtin = BUILTIN_KINDS.iter().copied().find(|k| {
            let b = k.builtin().expect("built in");
            let named =
                word.eq_ignore_ascii_case(b.name) || word == b.plural || b.short.contains(&word);
            named && (group.is_empty() || group == k.group())
        });
        builtin.or_else(|| {
            let custom = CUSTOM.read().unwrap_or_else(|e| e.into_inner());
            custom
                .iter()
                .position(|c| {
                    (word.eq_ignore_ascii_case(c.kind) || word == c.plural)
                        && (group.is_empty() || group == c.group)
                })
                .map(|i| Kind::Custom(CustomKind(i as u32)))
        })
    }

    /// `Deployment.apps` as the API names a resource in error messages.
    pub fn qualified(self) -> String {
        match self {
            Kind::Custom(_) => self.custom().qualified.to_string(),
            _ if self.group().is_empty() => self.name().to_string(),
            _ => format!("{}.{}", self.name(), self.group()),
        }
    }

    /// The built-in kinds users apply, as `ObjectRef` errors list them.
    pub fn known_names() -> String {
        BUILTIN_KINDS
            .iter()
            .filter(|k| !k.is_controller_owned() || matches!(k, Kind::ReplicaSet | Kind::Pod))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_kind_has_a_version_a_plural_and_parses_back() {
        for k in BUILTIN_KINDS {
            assert!(k.api_version().ends_with("v1") || k.api_version().ends_with("v2"));
            assert_eq!(Kind::parse(k.plural()), Some(*k), "{k}");
            assert_eq!(Kind::parse(k.name()), Some(*k), "{k}");
            assert_eq!(Kind::resolve(k.api_version(), k.name()), *k);
        }
    }

    #[test]
    fn short_names_and_groups_resolve_as_kubectl_does() {
        assert_eq!(Kind::parse("sts"), Some(Kind::StatefulSet));
        assert_eq!(Kind::parse("deployments.apps"), Some(Kind::Deployment));
        assert_eq!(Kind::parse("deployments.batch"), None);
        assert_eq!(Kind::parse("pvc"), Some(Kind::PersistentVolumeClaim));
        assert_eq!(Kind::resolve("events.k8s.io/v1", "Event"), Kind::Event);
        assert_eq!(Kind::Ingress.qualified(), "Ingress.networking.k8s.io");
    }

    #[test]
    fn custom_kinds_are_interned_and_install_after_builtin_ones() {
        let a = Kind::resolve("example.com/v1", "Widget");
        let b = Kind::resolve("example.com/v1", "Widget");
        assert_eq!(a, b);
        assert!(a.is_custom());
        assert_eq!(a.api_version(), "example.com/v1");
        assert_eq!(a.qualified(), "Widget.example.com");
        assert!(a.install_rank() > Kind::CustomResourceDefinition.install_rank());
        // A known group with a kind it does not serve is custom too.
        assert!(Kind::resolve("apps/v1", "Widget").is_custom());
        let z = Kind::resolve("a.example.com/v1", "Zebra");
        assert!(z < a, "ordered by group, not by interning order");
        assert_eq!(Kind::parse("widgets.example.com"), Some(a));
        assert_eq!(Kind::parse("widget"), Some(a));
    }
}
