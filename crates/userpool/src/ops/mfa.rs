//! TOTP MFA: SetUserPoolMfaConfig, GetUserPoolMfaConfig, AssociateSoftwareToken,
//! VerifySoftwareToken, SetUserMFAPreference, AdminSetUserMFAPreference, and the
//! `SOFTWARE_TOKEN_MFA` and `MFA_SETUP` challenges of a sign-in. Codes are RFC 6238's: HMAC-SHA1,
//! six digits, 30-second steps, one step of skew either way; a code is good once.

use serde_json::{Map, Value as Json, json};

use super::auth::{SignIn, param};
use super::{Constraint, Req, no_pool};
use crate::error::{CognitoError, ErrorKind, Result};
use crate::model::{ClientConfig, Totp};
use crate::pools::{Purpose, Session, UserPools};
use common::date::now_secs;

/// The length of a TOTP step.
const STEP: u64 = 30;

/// The six-digit code of `secret` at `step` (RFC 4226's dynamic truncation of HMAC-SHA1).
pub fn code_at(secret: &[u8], step: u64) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let bin = (u32::from(mac[offset] & 0x7f) << 24)
        | (u32::from(mac[offset + 1]) << 16)
        | (u32::from(mac[offset + 2]) << 8)
        | u32::from(mac[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// The step `code` is for, within one step of now; `None` if it is no such code.
fn matching_step(secret: &[u8], code: &str, now: u64) -> Option<u64> {
    let step = now / STEP;
    [step, step.saturating_sub(1), step + 1]
        .into_iter()
        .find(|s| common::digest::constant_time_eq(code_at(secret, *s).as_bytes(), code.as_bytes()))
}

fn not_enabled() -> CognitoError {
    CognitoError::new(
        ErrorKind::SoftwareTokenMfaNotFound,
        "Software Token MFA has not been enabled by the userPool",
    )
}

fn new_secret() -> (Vec<u8>, String) {
    let mut raw = vec![0u8; 20];
    common::id::random_bytes(&mut raw);
    let text = data_encoding::BASE32_NOPAD.encode(&raw);
    (raw, text)
}

impl UserPools {
    /// Whether the pool allows TOTP.
    fn totp_enabled(&self, pool_id: &str) -> Result<bool> {
        let state = self.read();
        let p = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
        Ok(p.config.software_token_mfa)
    }

    pub(crate) fn set_user_pool_mfa_config(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let software =
            r.0.get("SoftwareTokenMfaConfiguration")
                .and_then(|s| s.get("Enabled"))
                .and_then(Json::as_bool);
        let mode = r.opt_str("MfaConfiguration")?.map(str::to_string);
        self.transact(|state, tx| {
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            let mut config = pool.config.clone();
            if let Some(s) = software {
                config.software_token_mfa = s;
            }
            if let Some(m) = &mode {
                if m != "OFF" && !config.software_token_mfa {
                    return Err(CognitoError::invalid_parameter(
                        "MFA configuration cannot be ON or OPTIONAL without an MFA factor enabled.",
                    ));
                }
                config.mfa_configuration.clone_from(m);
            }
            config.modified = common::date::now_f64();
            let out = mfa_config(&config);
            tx.put_pool(config, std::sync::Arc::clone(&pool.keys));
            Ok(out)
        })
    }

    pub(crate) fn get_user_pool_mfa_config(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let state = self.read();
        let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
        Ok(mfa_config(&pool.config))
    }

    pub(crate) fn associate_software_token(&self, r: &Req<'_>) -> Result<Json> {
        if r.opt_str("AccessToken")?.is_some() {
            let (pool_id, username) = self.token_user(r)?;
            if !self.totp_enabled(&pool_id)? {
                return Err(not_enabled());
            }
            let (raw, text) = new_secret();
            self.update_user(&pool_id, &username, |u| {
                u.totp_pending = Some(common::encoding::hex(&raw));
                Ok(())
            })?;
            return Ok(json!({"SecretCode": text}));
        }
        let token = r.checked("Session", Constraint::Session)?;
        let session = self
            .take_session(token)
            .ok_or_else(CognitoError::invalid_session)?;
        if !matches!(session.purpose, Purpose::MfaSetup { .. }) {
            return Err(CognitoError::invalid_session());
        }
        if !self.totp_enabled(&session.pool_id)? {
            return Err(not_enabled());
        }
        let (raw, text) = new_secret();
        let next = self.new_session(Session {
            purpose: Purpose::MfaSetup {
                secret: Some(raw),
                verified: false,
            },
            ..session
        });
        Ok(json!({"SecretCode": text, "Session": next}))
    }

    pub(crate) fn verify_software_token(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserCode"])?;
        let code = r.str("UserCode")?.to_string();
        let mismatch = || {
            CognitoError::new(
                ErrorKind::EnableSoftwareTokenMfa,
                "Code mismatch and fail enable Software Token MFA",
            )
        };
        let now = now_secs();
        if r.opt_str("AccessToken")?.is_some() {
            let (pool_id, username) = self.token_user(r)?;
            self.update_user(&pool_id, &username, |u| {
                let raw = u
                    .totp_pending
                    .as_deref()
                    .and_then(common::encoding::hex_decode)
                    .ok_or_else(|| {
                        CognitoError::invalid_parameter("User has not associated a software token")
                    })?;
                let step = matching_step(&raw, &code, now).ok_or_else(mismatch)?;
                u.totp_pending = None;
                u.totp = Some(Totp {
                    secret_hex: common::encoding::hex(&raw),
                    enabled: false,
                    preferred: false,
                    last_step: step,
                });
                Ok(())
            })?;
            return Ok(json!({"Status": "SUCCESS"}));
        }
        let token = r.checked("Session", Constraint::Session)?;
        let session = self
            .take_session(token)
            .ok_or_else(CognitoError::invalid_session)?;
        let Purpose::MfaSetup {
            secret: Some(raw), ..
        } = &session.purpose
        else {
            return Err(CognitoError::invalid_session());
        };
        let Some(step) = matching_step(raw, &code, now) else {
            self.restore_session(token, session);
            return Err(mismatch());
        };
        let secret_hex = common::encoding::hex(raw);
        self.update_user(&session.pool_id, &session.username, |u| {
            u.totp = Some(Totp {
                secret_hex: secret_hex.clone(),
                enabled: true,
                preferred: true,
                last_step: step,
            });
            Ok(())
        })?;
        let next = self.new_session(Session {
            purpose: Purpose::MfaSetup {
                secret: None,
                verified: true,
            },
            ..session
        });
        Ok(json!({"Status": "SUCCESS", "Session": next}))
    }

    fn set_preference(&self, pool_id: &str, username: &str, r: &Req<'_>) -> Result<Json> {
        let settings = r.0.get("SoftwareTokenMfaSettings").cloned();
        self.update_user(pool_id, username, |u| {
            if let Some(s) = &settings {
                let Some(t) = u.totp.as_mut() else {
                    return Err(CognitoError::invalid_parameter(
                        "User has not verified software token mfa",
                    ));
                };
                if let Some(e) = s["Enabled"].as_bool() {
                    t.enabled = e;
                }
                if let Some(p) = s["PreferredMfa"].as_bool() {
                    t.preferred = p;
                }
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn set_user_mfa_preference(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["AccessToken"])?;
        let (pool_id, username) = self.token_user(r)?;
        self.set_preference(&pool_id, &username, r)
    }

    pub(crate) fn admin_set_user_mfa_preference(&self, r: &Req<'_>) -> Result<Json> {
        let (pool_id, username) = self.admin_user(r)?;
        self.set_preference(&pool_id, &username, r)
    }

    /// After the password: tokens, or the MFA step the pool and the user call for.
    pub(crate) fn after_authenticated(&self, s: SignIn, source: &str) -> Result<Json> {
        let mode = s.pool.mfa_configuration.as_str();
        let totp_on = s
            .user
            .totp
            .as_ref()
            .is_some_and(|t| t.enabled || mode == "ON");
        let purpose = match (mode, totp_on) {
            ("ON" | "OPTIONAL", true) if s.pool.software_token_mfa => Purpose::SoftwareTokenMfa,
            ("ON", false) if s.pool.software_token_mfa => Purpose::MfaSetup {
                secret: None,
                verified: false,
            },
            _ => return self.finish_sign_in(&s, source, &json!({})),
        };
        let name = match purpose {
            Purpose::SoftwareTokenMfa => "SOFTWARE_TOKEN_MFA",
            _ => "MFA_SETUP",
        };
        let params = match purpose {
            Purpose::SoftwareTokenMfa => json!({}),
            _ => json!({"MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]"}),
        };
        let session = self.new_session(Session {
            pool_id: s.pool.id.clone(),
            client_id: s.client.id.clone(),
            username: s.user.username.clone(),
            expires: now_secs() + s.client.session_minutes * 60,
            purpose,
        });
        Ok(json!({"ChallengeName": name, "Session": session, "ChallengeParameters": params}))
    }

    /// RespondToAuthChallenge `SOFTWARE_TOKEN_MFA` and `MFA_SETUP`.
    pub(crate) fn mfa_answer(
        &self,
        client: &ClientConfig,
        name: &str,
        token: &str,
        responses: &Map<String, Json>,
    ) -> Result<Json> {
        param(responses, "USERNAME")?;
        let session = self
            .take_session(token)
            .filter(|s| s.client_id == client.id)
            .ok_or_else(CognitoError::invalid_session)?;
        let s = self.sign_in_for(client, &session.username)?;
        match (name, &session.purpose) {
            ("SOFTWARE_TOKEN_MFA", Purpose::SoftwareTokenMfa) => {
                self.restore_session(token, session);
                let s = self.check_mfa_code(client, token, responses)?;
                self.finish_sign_in(&s, "TokenGeneration_Authentication", &json!({}))
            }
            ("MFA_SETUP", Purpose::MfaSetup { verified: true, .. }) => {
                let s = self.sign_in_for(client, &s.user.username)?;
                self.finish_sign_in(&s, "TokenGeneration_Authentication", &json!({}))
            }
            _ => Err(CognitoError::invalid_session()),
        }
    }

    /// The SOFTWARE_TOKEN_MFA code checked (the session used up when it is right): the user
    /// signed in.
    pub(crate) fn check_mfa_code(
        &self,
        client: &ClientConfig,
        token: &str,
        responses: &Map<String, Json>,
    ) -> Result<SignIn> {
        let session = self
            .take_session(token)
            .filter(|s| s.client_id == client.id && s.purpose == Purpose::SoftwareTokenMfa)
            .ok_or_else(CognitoError::invalid_session)?;
        {
            {
                let code = param(responses, "SOFTWARE_TOKEN_MFA_CODE")?.to_string();
                let now = now_secs();
                let result = self.update_user(&session.pool_id, &session.username, |u| {
                    let t = u.totp.as_mut().ok_or_else(CognitoError::invalid_session)?;
                    let raw = common::encoding::hex_decode(&t.secret_hex)
                        .ok_or_else(CognitoError::invalid_session)?;
                    let step = matching_step(&raw, &code, now).ok_or_else(|| {
                        CognitoError::new(ErrorKind::CodeMismatch, "Invalid code received for user")
                    })?;
                    if step <= t.last_step {
                        return Err(CognitoError::new(
                            ErrorKind::ExpiredCode,
                            "Your software token has already been used once.",
                        ));
                    }
                    t.last_step = step;
                    Ok(())
                });
                if let Err(e) = result {
                    // A wrong code does not use up the session: the user may try again.
                    self.restore_session(token, session);
                    return Err(e);
                }
                self.sign_in_for(client, &session.username)
            }
        }
    }
}

/// GetUserPoolMfaConfig's and SetUserPoolMfaConfig's answer.
fn mfa_config(c: &crate::model::PoolConfig) -> Json {
    json!({
        "SoftwareTokenMfaConfiguration": {"Enabled": c.software_token_mfa},
        "MfaConfiguration": c.mfa_configuration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_rfc_6238s() {
        // RFC 6238 appendix B, SHA-1, with the last six digits.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59 / 30), "287082");
        assert_eq!(code_at(secret, 1_111_111_109 / 30), "081804");
        assert_eq!(code_at(secret, 1_234_567_890 / 30), "005924");
        assert_eq!(code_at(secret, 2_000_000_000 / 30), "279037");
    }

    #[test]
    fn a_code_matches_within_one_step() {
        let secret = b"12345678901234567890";
        let now = 1_000_000_000;
        let before = code_at(secret, now / 30 - 1);
        assert_eq!(matching_step(secret, &before, now), Some(now / 30 - 1));
        let old = code_at(secret, now / 30 - 3);
        assert_eq!(matching_step(secret, &old, now), None);
    }
}
