"""The Delta RNN: z_t = W_t q_t, y_t = z_t + R_t softmax(y_{t-1}), W and R programmed by the delta rule."""
