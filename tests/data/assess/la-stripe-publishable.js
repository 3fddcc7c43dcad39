#! assess-corpus: expect=none
const stripe = Stripe('pk_live_4sA184AddNNDQjYSAxPjxkle'); // sk_test_ keys stay on the server
