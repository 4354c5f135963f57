-- { __typename } reads nothing but the bearer token (one lookup by its hash, joined with
-- the user): that statement alone, the hash of no token (the plan is the same).
SELECT t.id, t.user_id, t.expires_at, t.revoked_at, u.role, u.disabled FROM auth_token t
  LEFT JOIN app_user u ON t.user_id = u.id
 WHERE t.token_hash = '0000000000000000000000000000000000000000000000000000000000000000' LIMIT 1;
