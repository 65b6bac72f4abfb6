"""What agents do in the inbox: actions on a conversation, automatic assignment, canned replies,
notes, snoozes, presence and the satisfaction survey.
"""
