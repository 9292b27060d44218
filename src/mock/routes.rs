//! The HTTP routes: extract the request's parts, check the Bearer token, hand over to the
//! [`App`]. Every refusal, axum's own included, is a section 4 error body.

use super::answer::Answer;
use super::app::App;
use super::connection::Cut;
use crate::ErrorType;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// The routes the mock serves.
const ROUTES: &str = "GET /v1/tasks/{id}, POST /v1/{images,videos,audios,llm}/generations, GET /files/{id}/{index}/{name}";

/// The router over `app`.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/tasks/{id}", get(get_task))
        .route("/v1/{kind}/generations", post(submit))
        .route("/files/{id}/{index}/{name}", get(download))
        .method_not_allowed_fallback(wrong_method)
        .fallback(no_route)
        .with_state(app)
}

/// The output type a submit route creates.
fn output_type(kind: &str) -> Option<&'static str> {
    match kind {
        "images" => Some("image"),
        "videos" => Some("video"),
        "audios" => Some("audio"),
        "llm" => Some("llm"),
        _ => None,
    }
}

fn bad_path(rejection: &PathRejection) -> Answer {
    Answer::error(
        StatusCode::BAD_REQUEST,
        ErrorType::InvalidRequestError,
        format!(
            "expected a path of {ROUTES}, found one that does not decode: {}",
            rejection.body_text()
        ),
    )
}

async fn get_task(
    State(app): State<Arc<App>>,
    ConnectInfo(cut): ConnectInfo<Cut>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    if let Err(refusal) = app.authorize(&headers) {
        return refusal.into_response();
    }
    let id = match path {
        Ok(Path(id)) => id,
        Err(rejection) => return bad_path(&rejection).into_response(),
    };
    let stream = format!("task {id}");
    app.answer(&cut, &stream, Some(&id), |app| {
        app.poll(&id, query.as_deref())
    })
    .await
}

async fn submit(
    State(app): State<Arc<App>>,
    ConnectInfo(cut): ConnectInfo<Cut>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(refusal) = app.authorize(&headers) {
        return refusal.into_response();
    }
    let kind = match path {
        Ok(Path(kind)) => kind,
        Err(rejection) => return bad_path(&rejection).into_response(),
    };
    let route = format!("POST /v1/{kind}/generations");
    let Some(output_type) = output_type(&kind) else {
        return Answer::error(
            StatusCode::NOT_FOUND,
            ErrorType::NotFound,
            format!("expected one of {ROUTES}, found {route}"),
        )
        .into_response();
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return Answer::error(
                rejection.status(),
                ErrorType::InvalidRequestError,
                format!(
                    "{route}: expected a readable JSON body, found: {}",
                    rejection.body_text()
                ),
            )
            .into_response()
        }
    };
    app.answer(&cut, &route, None, |app| {
        app.submit(output_type, &route, &body)
    })
    .await
}

async fn download(
    State(app): State<Arc<App>>,
    ConnectInfo(cut): ConnectInfo<Cut>,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Response {
    let (id, index, name) = match path {
        Ok(Path(parts)) => parts,
        Err(rejection) => return bad_path(&rejection).into_response(),
    };
    let stream = format!("file {id}");
    app.answer(&cut, &stream, Some(&id), |app| {
        app.download(&id, &index, &name)
    })
    .await
}

async fn wrong_method(method: Method, uri: Uri) -> Answer {
    Answer::error(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorType::InvalidRequestError,
        format!("expected one of {ROUTES}, found {method} {}", uri.path()),
    )
}

async fn no_route(method: Method, uri: Uri) -> Answer {
    Answer::error(
        StatusCode::NOT_FOUND,
        ErrorType::NotFound,
        format!("expected one of {ROUTES}, found {method} {}", uri.path()),
    )
}
