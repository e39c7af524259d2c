//! The hosted UI's pages: plain, accessible HTML with its own CSS (no scripts, no external
//! assets, nothing fetched from the network). Every value from a request or a user is escaped.

pub use common::encoding::markup_escape as esc;

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;background:#f4f5f7;margin:0;color:#1d232b}\
main{max-width:24rem;margin:4rem auto;background:#fff;border:1px solid #d5d9de;border-radius:8px;padding:2rem}\
h1{font-size:1.35rem;margin:0 0 .25rem}p.client{color:#5a6470;margin:0 0 1.5rem}\
label{display:block;font-weight:600;margin:1rem 0 .35rem}\
input{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #9aa3ad;border-radius:4px;font-size:1rem}\
input:focus{outline:3px solid #8ab4f8;outline-offset:1px}\
button{margin-top:1.5rem;width:100%;padding:.7rem;border:0;border-radius:4px;background:#0b5cad;color:#fff;font-size:1rem;cursor:pointer}\
button:hover{background:#094a8b}\
p.error{background:#fdecea;border:1px solid #e3a39b;color:#8a1c12;padding:.6rem;border-radius:4px}\
p.message{background:#e8f4ea;border:1px solid #9cc7a4;color:#1d5a2a;padding:.6rem;border-radius:4px}\
nav{margin-top:1.5rem;display:flex;justify-content:space-between;font-size:.95rem}a{color:#0b5cad}";

/// A whole page: `title`, the app client's name, and `body` (already HTML).
pub fn page(title: &str, client_name: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title><style>{CSS}</style></head>\
<body><main><h1>{title}</h1><p class=\"client\">for <span id=\"client-name\">{client}</span></p>{body}</main></body></html>\n",
        title = esc(title),
        client = esc(client_name),
    )
}

/// The error and message paragraphs (none when absent).
pub fn notes(error: Option<&str>, message: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(e) = error {
        out.push_str(&format!(
            "<p class=\"error\" id=\"error\" role=\"alert\">{}</p>",
            esc(e)
        ));
    }
    if let Some(m) = message {
        out.push_str(&format!(
            "<p class=\"message\" id=\"message\" role=\"status\">{}</p>",
            esc(m)
        ));
    }
    out
}

/// A hidden input.
pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        esc(name),
        esc(value)
    )
}

/// A labelled input.
pub fn field(id: &str, label: &str, kind: &str, autocomplete: &str, value: &str) -> String {
    format!(
        "<label for=\"{id}\">{label}</label><input id=\"{id}\" name=\"{id}\" type=\"{kind}\" \
autocomplete=\"{autocomplete}\" value=\"{value}\" required>",
        label = esc(label),
        value = esc(value),
    )
}

/// A form with `id`, its fields, and a submit button `<id>-submit`.
pub fn form(id: &str, action: &str, inner: &str, button: &str) -> String {
    format!(
        "<form id=\"{id}\" method=\"post\" action=\"{action}\">{inner}\
<button id=\"{id}-submit\" type=\"submit\">{button}</button></form>",
        action = esc(action),
        button = esc(button),
    )
}
