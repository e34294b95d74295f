"""Linear attention (the sum rule): W_t = W_{t-1} + v_t k_t^T, o_t = W_t q_t."""
