//! Downloading the attachment of `/sources add`: only from Discord's attachment hosts
//! over HTTPS (in test mode: loopback only), within a timeout and a size cap, without
//! following redirects, so a crafted URL can neither reach another host nor fill memory.

use std::time::Duration;

/// The hosts Discord serves attachments from.
pub const ATTACHMENT_HOSTS: &[&str] = &["cdn.discordapp.com", "media.discordapp.net"];

/// Why an attachment was not downloaded (shown to the admin).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    #[error("the attachment's address is not one of Discord's attachment hosts")]
    Host,
    #[error("the attachment is {size} bytes; at most {max} bytes may be added")]
    TooLarge { size: u64, max: u64 },
    #[error("downloading the attachment failed: {0}")]
    Failed(String),
    #[error("downloading the attachment took longer than {0} s")]
    Timeout(u64),
}

/// The attachment URL, when the bot may download it: `https` on
/// [`ATTACHMENT_HOSTS`], or, in test mode, `http`/`https` on loopback only.
pub fn allowed_url(raw: &str, test_mode: bool) -> Result<url::Url, DownloadError> {
    let url = url::Url::parse(raw.trim()).map_err(|_| DownloadError::Host)?;
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let ok = if test_mode {
        matches!(url.scheme(), "http" | "https")
            && super::guard::check_endpoint("attachment URL", raw, true).is_ok()
    } else {
        url.scheme() == "https" && url.port().is_none() && ATTACHMENT_HOSTS.contains(&host.as_str())
    };
    if ok && url.username().is_empty() && url.password().is_none() {
        Ok(url)
    } else {
        Err(DownloadError::Host)
    }
}

/// Download `url` (checked by [`allowed_url`]), refusing more than `max` bytes
/// (whatever the attachment claimed) and giving up after `timeout`.
pub async fn download(
    url: url::Url,
    max: u64,
    timeout: Duration,
) -> Result<Vec<u8>, DownloadError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .build()
        .map_err(|e| DownloadError::Failed(e.to_string()))?;
    let fetch = async {
        let mut resp = client
            .get(url)
            .send()
            .await
            .map_err(|e| DownloadError::Failed(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(DownloadError::Failed(format!("HTTP {}", resp.status())));
        }
        if let Some(len) = resp.content_length().filter(|&l| l > max) {
            return Err(DownloadError::TooLarge { size: len, max });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| DownloadError::Failed(e.without_url().to_string()))?
        {
            if (bytes.len() + chunk.len()) as u64 > max {
                return Err(DownloadError::TooLarge {
                    size: (bytes.len() + chunk.len()) as u64,
                    max,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    tokio::time::timeout(timeout, fetch)
        .await
        .map_err(|_| DownloadError::Timeout(timeout.as_secs()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_discords_attachment_hosts_are_downloaded_from() {
        let ok = "https://cdn.discordapp.com/attachments/1/2/guide.pdf?ex=1&is=2&hm=3";
        assert!(allowed_url(ok, false).is_ok());
        assert!(allowed_url("https://media.discordapp.net/attachments/1/2/a.md", false).is_ok());
        for bad in [
            "http://cdn.discordapp.com/attachments/1/2/a.md",
            "https://cdn.discordapp.com:8443/a.md",
            "https://cdn.discordapp.com.evil.example/a.md",
            "https://evil.example/cdn.discordapp.com/a.md",
            "https://user:pw@cdn.discordapp.com/a.md",
            "http://127.0.0.1:8080/a.md",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert_eq!(allowed_url(bad, false), Err(DownloadError::Host), "{bad}");
        }
        // test mode: loopback only, Discord's hosts included in the refusal
        assert!(allowed_url("http://127.0.0.1:8080/attachments/a.md", true).is_ok());
        assert_eq!(allowed_url(ok, true), Err(DownloadError::Host));
        assert_eq!(
            allowed_url("http://10.0.0.1/a.md", true),
            Err(DownloadError::Host)
        );
    }
}
