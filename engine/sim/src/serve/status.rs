//! API errors as `Status` objects with the codes and reasons a real API server uses, so that
//! kubectl and kube-rs react to them as they would on a cluster (retry a 409, relist on a
//! 410, back off on a 429).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rollplay_core::error::{Error, Retry};
use rollplay_core::kind::Kind;
use serde_json::{Value, json};

/// An answer that is not the object asked for.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    /// Boxed: errors travel in every `Result` of the handlers.
    pub details: Option<Box<Value>>,
    /// Seconds a 429 asks the client to wait.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    pub fn not_found(kind: Kind, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", kind.resource()),
        )
        .with_details(kind, name)
    }

    pub fn no_route(path: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn method_not_allowed(what: &str) -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({what})"),
        )
    }

    pub fn conflict(kind: Kind, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                kind.resource()
            ),
        )
        .with_details(kind, name)
    }

    pub fn gone(message: impl Into<String>) -> ApiError {
        ApiError::new(410, "Expired", message)
    }

    pub fn with_details(mut self, kind: Kind, name: &str) -> ApiError {
        self.details = Some(Box::new(
            json!({"name": name, "group": kind.group(), "kind": kind.plural()}),
        ));
        self
    }

    /// A simulator error as the API server would have answered it.
    pub fn from_error(kind: Kind, name: &str, e: &Error) -> ApiError {
        let message = match e {
            Error::Refused { message, .. } => message.clone(),
            Error::Cluster { message, .. } => message.clone(),
            other => other.to_string(),
        };
        let error = match e {
            Error::NotFound { .. } => return ApiError::not_found(kind, name),
            Error::Cluster {
                retry: Retry::Conflict,
                ..
            } => ApiError::new(409, "AlreadyExists", message),
            Error::Refused { .. } if message.contains("forbidden") => {
                ApiError::new(403, "Forbidden", message)
            }
            Error::Refused { .. } if message.contains("resource mapping not found") => {
                ApiError::new(404, "NotFound", message)
            }
            Error::Manifest { .. } | Error::BadInput { .. } | Error::Refused { .. } => {
                let mut invalid = ApiError::new(
                    422,
                    "Invalid",
                    format!("{} \"{name}\" is invalid: {message}", kind.name()),
                );
                invalid.details = Some(Box::new(json!({
                    "name": name, "group": kind.group(), "kind": kind.name(),
                    "causes": [{"reason": "FieldValueInvalid", "message": message}],
                })));
                return invalid;
            }
            _ => ApiError::new(500, "InternalError", message),
        };
        error.with_details(kind, name)
    }

    pub fn to_value(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            v["details"] = (**details).clone();
        }
        if let Some(seconds) = self.retry_after {
            v["details"]["retryAfterSeconds"] = Value::from(seconds);
        }
        v
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.to_value().to_string();
        let mut response = (
            StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// The success `Status` a delete or an eviction answers with.
pub fn success(kind: Kind, name: &str, uid: Option<&str>) -> Value {
    let mut details = json!({"name": name, "group": kind.group(), "kind": kind.plural()});
    if let Some(uid) = uid {
        details["uid"] = Value::from(uid);
    }
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}
