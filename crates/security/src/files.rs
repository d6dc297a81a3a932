use base64::Engine;
use domain::ports::FileUrlSigner;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use time::OffsetDateTime;

/// Signed file-preview links: `{files_url}/files/{id}/file-preview?timestamp=…&nonce=…&sign=…` with
/// `sign = urlsafe-base64(HMAC-SHA256(secret, "file-preview|{id}|{timestamp}|{nonce}"))`.
pub struct FileSigner {
    files_url: String,
    secret: Vec<u8>,
}

impl FileSigner {
    /// A signer for links under `files_url` (no trailing slash needed).
    pub fn new(files_url: &str, secret: &[u8]) -> Self {
        Self { files_url: files_url.trim_end_matches('/').to_owned(), secret: secret.to_vec() }
    }

    fn sign(&self, file_id: &str, timestamp: i64, nonce: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC accepts any key length");
        mac.update(format!("file-preview|{file_id}|{timestamp}|{nonce}").as_bytes());
        base64::engine::general_purpose::URL_SAFE.encode(mac.finalize().into_bytes())
    }
}

impl FileUrlSigner for FileSigner {
    fn preview_url(&self, file_id: &str, now: OffsetDateTime) -> String {
        let mut nonce = [0u8; 16];
        rand::rng().fill_bytes(&mut nonce);
        let nonce = hex::encode(nonce);
        let ts = now.unix_timestamp();
        let sign = self.sign(file_id, ts, &nonce);
        format!("{}/files/{file_id}/file-preview?timestamp={ts}&nonce={nonce}&sign={sign}", self.files_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_shape_and_signature() {
        let s = FileSigner::new("http://127.0.0.1:5001/", b"k");
        let url = s.preview_url("abc", OffsetDateTime::from_unix_timestamp(1743496141).unwrap());
        assert!(url.starts_with("http://127.0.0.1:5001/files/abc/file-preview?timestamp=1743496141&nonce="));
        let nonce = url.split("nonce=").nth(1).unwrap().split('&').next().unwrap();
        assert_eq!(nonce.len(), 32);
        let sign = url.split("sign=").nth(1).unwrap();
        assert_eq!(sign, s.sign("abc", 1743496141, nonce));
        assert_eq!(sign.len(), 44);
    }
}
