//! What a handler answers, built before it is sent so that faults can act on it: a JSON
//! envelope, a section 4 error body, or a result file.

use super::connection::Cut;
use super::faults::Fault;
use crate::{ApiError, ErrorBody, ErrorCode, ErrorType};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The body of an answer.
#[derive(Clone, Debug)]
pub(crate) enum Payload {
    /// A task envelope.
    Json(Value),
    /// The body of a non-2xx answer (spec section 4).
    Error(ErrorBody),
    /// A result file.
    File {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

/// One answer, not sent yet.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub payload: Payload,
    pub retry_after_secs: Option<u32>,
}

impl Answer {
    /// `200` with a JSON body.
    pub fn json(value: Value) -> Answer {
        Answer {
            status: StatusCode::OK,
            payload: Payload::Json(value),
            retry_after_secs: None,
        }
    }

    /// `200` with a file.
    pub fn file(content_type: &'static str, bytes: Vec<u8>) -> Answer {
        Answer {
            status: StatusCode::OK,
            payload: Payload::File {
                content_type,
                bytes,
            },
            retry_after_secs: None,
        }
    }

    /// A non-2xx answer with the body of spec section 4: `{"error": {message, type, ...}}`.
    pub fn error(status: StatusCode, kind: ErrorType, message: impl Into<String>) -> Answer {
        Answer {
            status,
            payload: Payload::Error(ErrorBody {
                error: ApiError {
                    code: None,
                    message: message.into(),
                    param: None,
                    type_: kind,
                },
            }),
            retry_after_secs: None,
        }
    }

    /// The same error answer, naming the request parameter at fault.
    #[must_use]
    pub fn param(mut self, param: &str) -> Answer {
        if let Payload::Error(body) = &mut self.payload {
            body.error.param = Some(param.to_string());
        }
        self
    }

    /// The same error answer, with a machine-readable code.
    #[must_use]
    pub fn code(mut self, code: &str) -> Answer {
        if let Payload::Error(body) = &mut self.payload {
            body.error.code = Some(ErrorCode::String(code.to_string()));
        }
        self
    }

    /// The answer a fault puts in place of the real one, if it does.
    pub fn of_fault(fault: Fault) -> Option<Answer> {
        match fault {
            Fault::RateLimited { retry_after_secs } => Some(Answer {
                retry_after_secs: Some(retry_after_secs),
                ..Answer::error(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorType::RateLimitError,
                    format!("too many requests (a fault the mock injects); retry after {retry_after_secs} s"),
                )
            }),
            Fault::ServerError { unavailable: true } => Some(Answer::error(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorType::ServiceUnavailableError,
                "the service is unavailable (a fault the mock injects); retry later",
            )),
            Fault::ServerError { unavailable: false } => Some(Answer::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorType::ServerError,
                "internal server error (a fault the mock injects); retry later",
            )),
            Fault::None | Fault::Truncate { .. } | Fault::Drop => None,
        }
    }

    /// The content type and bytes on the wire.
    fn encode(&self) -> (&'static str, Vec<u8>) {
        // Serialising these cannot fail: maps with string keys, no foreign Serialize impls.
        match &self.payload {
            Payload::Json(value) => (
                "application/json",
                serde_json::to_vec(value).unwrap_or_default(),
            ),
            Payload::Error(body) => (
                "application/json",
                serde_json::to_vec(body).unwrap_or_default(),
            ),
            Payload::File {
                content_type,
                bytes,
            } => (content_type, bytes.clone()),
        }
    }

    /// Sends the answer through its connection, cut as `fault` says.
    pub fn send(self, fault: Fault, cut: &Cut) -> Response {
        let (content_type, body) = self.encode();
        match fault {
            Fault::Drop => cut.drop_answer(),
            Fault::Truncate { keep } if !body.is_empty() => {
                // `keep` is in 0..1; the prefix is kept shorter than the body all the same.
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    clippy::cast_precision_loss
                )]
                let prefix = (body.len() as f64 * keep) as usize;
                cut.truncate_body(prefix.min(body.len() - 1));
            }
            _ => {}
        }
        self.respond(content_type, body)
    }

    fn respond(self, content_type: &'static str, body: Vec<u8>) -> Response {
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(secs) = self.retry_after_secs {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl IntoResponse for Answer {
    /// The answer, whole.
    fn into_response(self) -> Response {
        let (content_type, body) = self.encode();
        self.respond(content_type, body)
    }
}
