//! Upload forms (multipart, with the CSRF token in the query): a `year` field and one file.
use poem::http::header;
use poem::web::Multipart;
use poem::Request;

/// What an upload form sent: its year, if it reads as one, and its file (name, bytes).
pub struct Upload {
    pub year: Option<i32>,
    pub file: Option<(String, Vec<u8>)>,
}

/// Reads an upload form, its file named `default_name` when the browser gives no name; a
/// request or a file over `max_bytes` is refused with `too_big`, a broken form with its own
/// sentence.
pub async fn read_upload(
    req: &Request,
    mut form: Multipart,
    max_bytes: usize,
    default_name: &str,
    too_big: &str,
) -> Result<Upload, String> {
    let declared_too_big = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n > max_bytes + 64 * 1024);
    if declared_too_big {
        return Err(too_big.to_owned());
    }
    let mut upload = Upload { year: None, file: None };
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(upload),
            Err(_) => return Err("上传的表单无法读取，请重新选择文件后再试。".to_owned()),
        };
        match field.name() {
            Some("year") => upload.year = field.text().await.ok().and_then(|t| t.trim().parse::<i32>().ok()),
            Some("file") => {
                let name = field.file_name().unwrap_or(default_name).to_owned();
                match field.bytes().await {
                    Ok(bytes) if bytes.len() <= max_bytes => upload.file = Some((name, bytes)),
                    _ => return Err(too_big.to_owned()),
                }
            }
            _ => {}
        }
    }
}
