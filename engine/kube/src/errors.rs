//! kube-rs errors as rollplay's: the object, the verb and the target named, the client's
//! error kept as the source, and whether trying again can help (429 and 5xx answers and
//! broken connections are transient, 409 is a conflict, everything else final).

use rollplay_core::error::{Error, Retry};
use rollplay_core::objref::ObjectRef;

/// Whether a request that failed so may succeed if sent again.
pub fn retry_class(e: &kube::Error) -> Retry {
    match e {
        kube::Error::Api(status) => match status.code {
            429 | 500 | 502 | 503 | 504 => Retry::Transient,
            409 if status.reason == "Conflict" => Retry::Conflict,
            _ => Retry::Final,
        },
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => {
            Retry::Transient
        }
        _ => Retry::Final,
    }
}

/// Seconds a 429 asks the client to wait, when it says.
pub fn retry_after(e: &kube::Error) -> Option<u32> {
    match e {
        kube::Error::Api(status) => status
            .details
            .as_ref()
            .map(|d| d.retry_after_seconds)
            .filter(|s| *s > 0),
        _ => None,
    }
}

pub fn status_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// A failed request about `object` (`verb` as RBAC names it: get, list, patch, ...).
pub fn request_error(target: &str, verb: &str, object: &ObjectRef, e: kube::Error) -> Error {
    let what = object_name(object);
    if let kube::Error::Api(status) = &e {
        match status.code {
            404 => {
                return Error::NotFound {
                    kind: object.kind.name().into(),
                    name: object.name.clone(),
                    namespace: object.namespace.clone(),
                    target: target.into(),
                    hint: String::new(),
                };
            }
            403 => {
                return Error::Refused {
                    object: what,
                    target: target.into(),
                    message: format!(
                        "{verb} {} in namespace \"{}\" is forbidden: {} (give rollplay's service account this verb, e.g. with examples/rbac/rollplay.yaml)",
                        object.kind.resource(),
                        object.namespace,
                        status.message
                    ),
                };
            }
            400 | 409 | 422 if retry_class(&e) == Retry::Final => {
                return Error::Refused {
                    object: what,
                    target: target.into(),
                    message: status.message.clone(),
                };
            }
            _ => {}
        }
    }
    let retry = retry_class(&e);
    Error::cluster(
        target,
        format!("{verb} {what}: {}", describe(&e)),
        retry,
        Some(Box::new(e)),
    )
}

/// `deployment/web`.
pub fn object_name(object: &ObjectRef) -> String {
    format!("{}/{}", object.kind.singular(), object.name)
}

/// One line for a client error: the API's message, or the transport's.
pub fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => {
            format!("{} ({} {})", status.message, status.code, status.reason)
        }
        other => {
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            text
        }
    }
}
