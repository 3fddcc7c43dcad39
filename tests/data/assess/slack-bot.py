#! assess-corpus: expect=slack-token
client = WebClient("xoxb-215727907953-3844879888662-R0xE6mAKwX0xxIhBFS3Ay7SZ")
