"""The delta rule: W_t = W_{t-1} + beta_t (v_t - W_{t-1} k_t) k_t^T, o_t = W_t q_t."""
