#! assess-corpus: expect=stripe-key
const stripe = require('stripe')('sk_live_QwFUjYSWLZipFjRo6oXdRaax');
