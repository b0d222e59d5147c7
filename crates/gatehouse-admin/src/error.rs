//! Errors the management API returns, in APIM's management error shape:
//! `{"error": {"code": "...", "message": "...", "details": [...]}}`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};

/// A management API error with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Vec<Value>,
}

impl ApiError {
    /// 400: the request was understood and refused; nothing was changed.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    /// 400 with one detail per problem.
    pub fn validation_details(message: impl Into<String>, details: Vec<Value>) -> Self {
        Self {
            details,
            ..Self::validation(message)
        }
    }

    /// 401: no or a wrong admin token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Missing or invalid admin token: send 'Authorization: Bearer <token>' with the token from the data directory's admin-token file",
        )
    }

    /// 404: nothing at this path.
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("{what} was not found"),
        )
    }

    /// 409: the change conflicts with other resources.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", message)
    }

    /// 502: the console's sender got no response from the gateway.
    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "GatewayUnreachable", message)
    }

    /// 500: the store failed; details are logged, not returned.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "The change could not be stored; see the gateway log",
        )
    }

    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if !self.details.is_empty() {
            error["details"] = Value::Array(self.details);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}
