from leadcrm.extensions import db
from leadcrm.models import User


def test_create_user_creates_workspace_then_joins_it(app, runner):
    result = runner.invoke(args=["create-user", "Admin@Example.com", "--password", "pw123456", "--workspace", "Ops", "--super-admin"])
    assert result.exit_code == 0, result.output
    assert "Created admin@example.com in workspace Ops (super admin)" in result.output
    result = runner.invoke(args=["create-user", "second@example.com", "--password", "pw123456", "--workspace", "ops"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        users = db.session.scalars(db.select(User).order_by(User.id)).all()
        assert [u.is_super_admin for u in users] == [True, False]
        assert users[0].workspace_id == users[1].workspace_id
        assert users[0].check_password("pw123456")


def test_create_user_refuses_taken_email(runner):
    runner.invoke(args=["create-user", "a@example.com", "--password", "pw123456", "--workspace", "Ops"])
    result = runner.invoke(args=["create-user", "A@example.com", "--password", "x", "--workspace", "Other"])
    assert result.exit_code != 0
    assert "already registered" in result.output
