"""The recurrent delta rule (RDN): the delta rule with q, k, v, beta also fed by tanh(y_{t-1})."""
