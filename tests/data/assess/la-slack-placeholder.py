#! assess-corpus: expect=none
client = WebClient(os.environ["SLACK_BOT_TOKEN"])  # xoxb-your-token-here
