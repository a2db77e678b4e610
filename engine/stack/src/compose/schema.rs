//! The compose file keys `docker stack deploy` reads, with their types: what is checked before
//! anything changes, so an unknown key, a key Swarm ignores or a wrong type is reported by name
//! and line instead of being dropped.

/// The type a key's value must have.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Str,
    /// A string, or a number written where a string is meant (`version: 3.8`).
    Scalar,
    Int,
    Number,
    Bool,
    /// A Go duration as compose writes it (`10s`, `1m30s`, `500ms`).
    Duration,
    Enum(&'static [&'static str]),
    /// A string or a list of strings (`command`, `test`).
    StringOrList,
    /// A list of strings.
    List,
    /// A map of scalars or a list of `KEY=VALUE` strings (`environment`, `labels`).
    Dict,
    Object(&'static [Field]),
    /// A list whose items are short-form strings or objects of these fields (`ports`).
    ListOf(&'static [Field]),
    /// A list of names, or a map from names to objects of these fields (or null).
    NamesOr(&'static [Field]),
    /// A map from user-chosen names to objects of these fields (or null).
    Named(&'static [Field]),
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
}

const fn f(name: &'static str, ty: Ty) -> Field {
    Field { name, ty }
}

const UPDATE: &[Field] = &[
    f("parallelism", Ty::Int),
    f("delay", Ty::Duration),
    f(
        "failure_action",
        Ty::Enum(&["continue", "rollback", "pause"]),
    ),
    f("monitor", Ty::Duration),
    f("max_failure_ratio", Ty::Number),
    f("order", Ty::Enum(&["stop-first", "start-first"])),
];

const RESOURCES: &[Field] = &[
    f(
        "limits",
        Ty::Object(&[
            f("cpus", Ty::Scalar),
            f("memory", Ty::Str),
            f("pids", Ty::Int),
        ]),
    ),
    f(
        "reservations",
        Ty::Object(&[f("cpus", Ty::Scalar), f("memory", Ty::Str)]),
    ),
];

const DEPLOY: &[Field] = &[
    f("mode", Ty::Enum(&["replicated", "global"])),
    f("replicas", Ty::Int),
    f("endpoint_mode", Ty::Enum(&["vip", "dnsrr"])),
    f("labels", Ty::Dict),
    f("update_config", Ty::Object(UPDATE)),
    f("rollback_config", Ty::Object(UPDATE)),
    f(
        "restart_policy",
        Ty::Object(&[
            f("condition", Ty::Enum(&["none", "on-failure", "any"])),
            f("delay", Ty::Duration),
            f("max_attempts", Ty::Int),
            f("window", Ty::Duration),
        ]),
    ),
    f("resources", Ty::Object(RESOURCES)),
    f(
        "placement",
        Ty::Object(&[
            f("constraints", Ty::List),
            f("preferences", Ty::ListOf(&[f("spread", Ty::Str)])),
            f("max_replicas_per_node", Ty::Int),
        ]),
    ),
];

const HEALTHCHECK: &[Field] = &[
    f("test", Ty::StringOrList),
    f("interval", Ty::Duration),
    f("timeout", Ty::Duration),
    f("retries", Ty::Int),
    f("start_period", Ty::Duration),
    f("disable", Ty::Bool),
];

const PORT: &[Field] = &[
    f("target", Ty::Int),
    f("published", Ty::Int),
    f("protocol", Ty::Enum(&["tcp", "udp", "sctp"])),
    f("mode", Ty::Enum(&["host", "ingress"])),
];

const FILE_REF: &[Field] = &[
    f("source", Ty::Str),
    f("target", Ty::Str),
    f("uid", Ty::Str),
    f("gid", Ty::Str),
    f("mode", Ty::Int),
];

const SERVICE: &[Field] = &[
    f("image", Ty::Str),
    f("command", Ty::StringOrList),
    f("entrypoint", Ty::StringOrList),
    f("environment", Ty::Dict),
    f("labels", Ty::Dict),
    f("deploy", Ty::Object(DEPLOY)),
    f("healthcheck", Ty::Object(HEALTHCHECK)),
    f("ports", Ty::ListOf(PORT)),
    f("networks", Ty::NamesOr(&[f("aliases", Ty::List)])),
    f("configs", Ty::ListOf(FILE_REF)),
    f("secrets", Ty::ListOf(FILE_REF)),
    f(
        "logging",
        Ty::Object(&[f("driver", Ty::Str), f("options", Ty::Dict)]),
    ),
    f("stop_grace_period", Ty::Duration),
    f("stop_signal", Ty::Str),
    f("user", Ty::Str),
    f("working_dir", Ty::Str),
    f("hostname", Ty::Str),
    f("init", Ty::Bool),
    f("read_only", Ty::Bool),
    f("tty", Ty::Bool),
    f(
        "volumes",
        Ty::ListOf(&[
            f("type", Ty::Enum(&["volume", "bind", "tmpfs"])),
            f("source", Ty::Str),
            f("target", Ty::Str),
            f("read_only", Ty::Bool),
        ]),
    ),
];

const NETWORK: &[Field] = &[
    f("driver", Ty::Str),
    f("driver_opts", Ty::Dict),
    f("attachable", Ty::Bool),
    f("internal", Ty::Bool),
    f("external", Ty::Bool),
    f("name", Ty::Str),
    f("labels", Ty::Dict),
];

const FILE_OBJECT: &[Field] = &[
    f("file", Ty::Str),
    f("external", Ty::Bool),
    f("name", Ty::Str),
    f("labels", Ty::Dict),
];

/// The top level of a stack file.
pub const STACK: &[Field] = &[
    f("version", Ty::Scalar),
    f("services", Ty::Named(SERVICE)),
    f("networks", Ty::Named(NETWORK)),
    f("configs", Ty::Named(FILE_OBJECT)),
    f("secrets", Ty::Named(FILE_OBJECT)),
    f(
        "volumes",
        Ty::Named(&[
            f("driver", Ty::Str),
            f("driver_opts", Ty::Dict),
            f("external", Ty::Bool),
            f("name", Ty::Str),
            f("labels", Ty::Dict),
        ]),
    ),
];

/// Compose keys of a service that `docker stack deploy` ignores, with what to use instead.
pub const IGNORED_BY_SWARM: &[(&str, &str)] = &[
    (
        "build",
        "build and tag the image first; a stack deploys images",
    ),
    ("container_name", "Swarm names tasks itself"),
    (
        "depends_on",
        "Swarm starts services independently; order them in the playbook",
    ),
    ("restart", "use deploy.restart_policy"),
    ("links", "use a shared network"),
    ("external_links", "use a shared network"),
    ("network_mode", "use networks"),
    ("devices", "Swarm services cannot map devices"),
    ("cgroup_parent", "Swarm does not set it"),
    ("security_opt", "Swarm does not set it"),
    ("userns_mode", "Swarm does not set it"),
    ("privileged", "Swarm services cannot be privileged"),
    ("cpus", "use deploy.resources.limits.cpus"),
    ("mem_limit", "use deploy.resources.limits.memory"),
    ("scale", "use deploy.replicas"),
];
