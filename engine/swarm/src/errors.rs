//! bollard errors as rollplay's: the object, the verb and the target named, the client's error
//! kept as the source, and whether trying again can help (the engine's "update out of
//! sequence" is a conflict; 5xx answers and broken connections are transient).

use rollplay_core::error::{Error, Retry};
use rollplay_core::objref::ObjectRef;

pub fn status_code(e: &bollard::errors::Error) -> Option<u16> {
    match e {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

fn server_message(e: &bollard::errors::Error) -> Option<&str> {
    match e {
        bollard::errors::Error::DockerResponseServerError { message, .. } => Some(message),
        _ => None,
    }
}

/// Whether a request that failed so may succeed if sent again.
pub fn retry_class(e: &bollard::errors::Error) -> Retry {
    let message = server_message(e).unwrap_or("");
    match status_code(e) {
        // A whole-spec update carries the version it read; another writer got there first.
        Some(_) if message.contains("update out of sequence") => Retry::Conflict,
        Some(500 | 502 | 503 | 504) => Retry::Transient,
        Some(_) => Retry::Final,
        None => match e {
            bollard::errors::Error::JsonDataError { .. }
            | bollard::errors::Error::JsonSerdeError { .. } => Retry::Final,
            _ => Retry::Transient,
        },
    }
}

/// One line for a client error: the engine's message, or the transport's with its causes.
pub fn describe(e: &bollard::errors::Error) -> String {
    if let (Some(code), Some(message)) = (status_code(e), server_message(e)) {
        return format!("{message} ({code})");
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `service/web`.
pub fn object_name(object: &ObjectRef) -> String {
    format!("service/{}", object.name)
}

/// A failed request about `object` (`verb`: inspect, update, ...).
pub fn request_error(
    target: &str,
    verb: &str,
    object: &ObjectRef,
    e: bollard::errors::Error,
) -> Error {
    match status_code(&e) {
        Some(404) => Error::NotFound {
            kind: "Service".into(),
            name: object.name.clone(),
            namespace: object.namespace.clone(),
            target: target.into(),
            hint: String::new(),
        },
        Some(400 | 403 | 409) if retry_class(&e) == Retry::Final => Error::Refused {
            object: object_name(object),
            target: target.into(),
            message: server_message(&e).unwrap_or_default().to_string(),
        },
        _ => {
            let retry = retry_class(&e);
            Error::cluster(
                target,
                format!("{verb} {}: {}", object_name(object), describe(&e)),
                retry,
                Some(Box::new(e)),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(code: u16, message: &str) -> bollard::errors::Error {
        bollard::errors::Error::DockerResponseServerError {
            status_code: code,
            message: message.into(),
        }
    }

    #[test]
    fn an_out_of_sequence_update_is_a_conflict_to_redo() {
        let e = server(
            500,
            "rpc error: code = Unknown desc = update out of sequence",
        );
        assert_eq!(retry_class(&e), Retry::Conflict);
        assert_eq!(retry_class(&server(503, "busy")), Retry::Transient);
        assert_eq!(retry_class(&server(400, "bad spec")), Retry::Final);
    }

    #[test]
    fn a_missing_service_is_not_found_naming_it_and_the_target() {
        let web = ObjectRef::new(rollplay_core::Kind::Deployment, "demo", "web");
        let err = request_error("swarm:unix:///x", "inspect", &web, server(404, "no such"));
        let text = err.to_string();
        assert!(
            text.contains("\"web\"") && text.contains("swarm:unix:///x"),
            "{text}"
        );
        assert_eq!(err.class(), rollplay_core::ErrorClass::BadInput);
    }
}
