"""The Delta LSTM: LSTM-style gates from feed-forward (W) and recurrent (R) delta-rule fast weights."""
